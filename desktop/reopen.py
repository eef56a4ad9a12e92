"""The rebuild rule: which settings changes reopen the engine, and which rebuild the index."""

from __future__ import annotations

from dataclasses import dataclass

from core.config import Settings

# What the engine is built from: a change to any of these opens it again.
ENGINE_KEYS = (
    "folders",
    "demo",
    "excludes",
    "provider",
    "dims",
    "model",
    "local_only",
    "gemini_base_url",
)


@dataclass(frozen=True)
class EngineChange:
    reopen: bool  # open the engine again over the new settings
    rebuild: bool  # and index everything again (the vectors no longer compare)


def engine_change(old: Settings, new: Settings, api_key: str = "") -> EngineChange:
    """What going from ``old`` to ``new`` (and perhaps a new API key) asks of the engine."""
    reopen = any(getattr(old, k) != getattr(new, k) for k in ENGINE_KEYS) or bool(api_key)
    rebuild = (old.provider, old.dims, old.model) != (new.provider, new.dims, new.model)
    return EngineChange(reopen, reopen and rebuild)
