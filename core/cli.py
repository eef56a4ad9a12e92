"""The ``loci`` command line: the parser, the no-command flow and the one place errors
become a line for the user. Each command's work is in ``core.commands``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from core import __version__
from core.commands.index import cmd_index
from core.commands.query import cmd_errors, cmd_recall, cmd_search, cmd_status
from core.commands.serve import add_serve_parsers
from core.commands.watch import add_watch_parser
from core.errors import LociError
from core.model import KINDS


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            return cmd_default(args)
        return int(args.func(args))
    except BrokenPipeError:
        # `loci status | head -1`: the reader left; say nothing more, leave quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print(
            "\nloci: interrupted; finished work is saved, the rest is done next run",
            file=sys.stderr,
        )
        return 130
    except Exception as exc:
        line = error_line(exc)
        if line is None:
            raise  # not an error Loci expects: a bug, shown with its traceback
        print(f"loci: {line}", file=sys.stderr)
        return 1


def error_line(exc: Exception) -> str | None:
    """The one line ``loci`` prints for an error it expects (exit code 1), else None.

    Loci's own errors (``LociError``: bad input, a provider's failure, an unusable index …)
    say it themselves; failures from below Loci are put in words here.
    """
    if isinstance(exc, LociError):
        return str(exc)
    if type(exc).__module__.startswith(("google.", "httpx")):
        # The provider's SDK or its HTTP library, past the provider's own handling.
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return f"the provider failed: {type(exc).__name__} {first}"
    # Deferred: core.store imports numpy, which no command should pay for before it fails.
    from core.config import data_dir
    from core.store import DISK_FULL, damaged_message, is_disk_full, is_storage_error

    if is_disk_full(exc):
        return DISK_FULL
    if is_storage_error(exc):  # a read failed below the checks made at open
        return damaged_message(data_dir() / "index", exc)
    return None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="loci",
        description="Search your notes, photos, PDFs and voice memos by meaning. "
        "With no command: index the configured folders (the demo folder if none) and "
        "show the status.",
    )
    parser.add_argument("--version", action="version", version=f"loci {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("index", help="index folders (only what changed since last time)")
    p.add_argument(
        "folders",
        nargs="*",
        type=Path,
        help="folders to add and index (default: the configured folders)",
    )
    p.add_argument(
        "--rebuild",
        action="store_true",
        help="build a new index for the current provider/model/dims beside the old",
    )
    p.add_argument(
        "--batch",
        action="store_true",
        help="Gemini only: embed through the batch API (half price; the results come later: "
        "run again to collect them)",
    )
    p.add_argument("--wait", action="store_true", help="with --batch: wait for the results")
    p.add_argument(
        "--estimate",
        action="store_true",
        help="show what indexing would cost with Gemini, per kind of file; nothing is sent "
        "or saved",
    )
    p.add_argument(
        "--budget",
        type=float,
        metavar="DOLLARS",
        help="save a spending limit for the paid provider on this index (0: none); a run "
        "stops before exceeding it, leaving the rest pending",
    )
    _provider_args(p)
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("search", help="search by meaning")
    p.add_argument("query", nargs="*", help="what to look for, in any words or language")
    p.add_argument(
        "--file",
        type=Path,
        action="append",
        default=[],
        help="search by a file's content (an image, a PDF, a note); "
        "combine with words for one query",
    )
    p.add_argument(
        "--kind",
        action="append",
        default=[],
        metavar="KIND",
        help=f"only this kind: {', '.join(KINDS)} (repeatable)",
    )
    p.add_argument("--folder", help="only files below this folder")
    p.add_argument("--since", help="only files modified since DATE (2026-03-01, 7d, 2w, 6m)")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--json", action="store_true", help="one JSON object per hit")
    _provider_args(p)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("recall", help="the memories most related to a file")
    p.add_argument("path", type=Path)
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_recall)

    p = sub.add_parser("status", help="folders, counts, provider, model and index location")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("errors", help="files that could not be indexed, and why")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_errors)

    add_watch_parser(sub)
    add_serve_parsers(sub)
    return parser


def _provider_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--provider", help="embedding provider: local (default, offline) or gemini")
    p.add_argument("--dims", type=int, help="vector size for Gemini: 768, 1536 or 3072")


def cmd_default(args: argparse.Namespace) -> int:
    args.folders = []
    args.rebuild = False
    args.batch = False
    args.estimate = False
    args.budget = None
    args.provider = None
    args.dims = None
    code = cmd_index(args)
    if code == 0:
        print()
        cmd_status(argparse.Namespace(json=False))
    return code


if __name__ == "__main__":
    sys.exit(main())
