"""Background folder sync: watch, debounce, reconcile, maintain (see ``Syncer``).

Names load on first use, so that ``loci --help`` (which registers ``loci watch`` from
``core.commands.watch``) does not import the indexer, numpy or LanceDB.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.sync.defaults import DEFAULT_DEBOUNCE

if TYPE_CHECKING:
    from core.sync.syncer import Failure, Synced, Syncer
    from core.sync.watcher import ChangeQueue, Watcher

__all__ = ["DEFAULT_DEBOUNCE", "ChangeQueue", "Failure", "Synced", "Syncer", "Watcher"]


def __getattr__(name: str) -> Any:
    if name in ("Failure", "Synced", "Syncer"):
        from core.sync import syncer

        return getattr(syncer, name)
    if name in ("ChangeQueue", "Watcher"):
        from core.sync import watcher

        return getattr(watcher, name)
    raise AttributeError(name)
