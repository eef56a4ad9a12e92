"""What the ``loci`` commands run on: the settings as the arguments amend them, the engine
in this process, or the resident one (``loci serve``, the app) when it serves this index.

The engine's modules are imported in the functions that need them: ``core.cli`` imports this
module for every command, ``loci --help`` included, and the engine brings LanceDB and numpy."""

from __future__ import annotations

import argparse
from typing import Any

from core.errors import CliError


def settings_for(args: argparse.Namespace | None = None) -> Any:
    from core.config import Settings

    settings = Settings.load()
    if args is not None and getattr(args, "provider", None):
        settings.provider = args.provider
    if args is not None and getattr(args, "dims", None):
        settings.dims = args.dims
    return settings


def engine_for(settings: Any, *, rebuild: bool = False) -> Any:
    from core.app import Engine

    return Engine(settings, rebuild=rebuild)


def backend_for(args: argparse.Namespace | None = None) -> Any:
    """The resident engine when one serves this index, else the index opened here."""
    from core.serve.backend import open_backend

    # --provider/--dims ask for another index than the one served: open that one here.
    explicit = args is not None and (getattr(args, "provider", None) or getattr(args, "dims", None))
    return open_backend(lambda: engine_for(settings_for(args)), remote=not explicit)


def embedder_for(settings: Any) -> Any:
    from core.app import make_embedder

    return make_embedder(settings)


def check_limit(limit: int) -> None:
    if limit < 1:
        raise CliError(f"--limit must be 1 or more, not {limit}")
