"""Embedding providers behind one protocol, created by name.

Providers register a factory under a name; ``create(name, **options)`` builds one.
The heavy SDKs are imported inside the factories, so listing providers is cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.embed.base import Embedder, EmbedError, Query, normalise
from core.errors import LociError

Factory = Callable[..., Embedder]
_FACTORIES: dict[str, Factory] = {}
DEFAULT_PROVIDER = "local"


class UnknownProvider(LociError, ValueError):
    pass


def register(name: str, factory: Factory) -> None:
    _FACTORIES[name] = factory


def providers() -> list[str]:
    return sorted(_FACTORIES)


def create(name: str, **options: Any) -> Embedder:
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise UnknownProvider(
            f"unknown provider {name!r}; choose one of: {', '.join(providers())}"
        ) from None
    return factory(**options)


def _local(**options: Any) -> Embedder:
    from core.embed.local import LocalEmbedder

    return LocalEmbedder(**options)


def _gemini(**options: Any) -> Embedder:
    from core.embed.gemini import GeminiEmbedder

    return GeminiEmbedder(**options)


register("local", _local)
register("gemini", _gemini)

__all__ = [
    "DEFAULT_PROVIDER",
    "EmbedError",
    "Embedder",
    "Query",
    "UnknownProvider",
    "create",
    "normalise",
    "providers",
    "register",
]
