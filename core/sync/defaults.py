"""The sync's defaults, in a leaf module: ``loci --help`` reads them to document
``--debounce`` without importing the watcher (watchdog) or the syncer (the indexer)."""

from __future__ import annotations

DEFAULT_DEBOUNCE = 0.25  # s of quiet before a burst of changes is indexed as one batch
