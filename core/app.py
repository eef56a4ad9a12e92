"""Wiring: builds the engine's parts from settings, in one place."""

from __future__ import annotations

import os
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any

from core import embed
from core.config import Settings, SettingsError, data_dir, private_dir
from core.cost import Budget
from core.embed.base import Embedder
from core.extract.readers import Readers, default_readers
from core.index import Indexer, IndexReport
from core.index_rows import under
from core.lock import IndexLock
from core.model import EngineStatus, FileStatus, Progress
from core.scan import Excluder
from core.search import Searcher, VectorIndex
from core.store import IndexIdentity, Store


def make_embedder(settings: Settings) -> Embedder:
    options: dict[str, Any] = {}
    if settings.provider == "gemini":
        if settings.dims:
            options["dims"] = settings.dims
        if settings.model:
            options["model"] = settings.model
        if settings.gemini_base_url:
            options["base_url"] = settings.gemini_base_url
        if os.environ.get("LOCI_GEMINI_BACKOFF_S"):  # the first retry's delay (tests: 0.05)
            options["backoff_s"] = float(os.environ["LOCI_GEMINI_BACKOFF_S"])
    try:
        embedder = embed.create(settings.provider, **options)
    except ValueError as exc:  # a provider's own refusal of an option (dims out of range)
        raise SettingsError(f"{settings.provider}: {exc}") from None
    if settings.score_floor:
        embedder.score_floor = float(settings.score_floor)
    return embedder


class Engine:
    """The engine for one set of settings: store, indexer and searcher over one embedder."""

    def __init__(
        self,
        settings: Settings,
        *,
        data: Path | None = None,
        embedder: Embedder | None = None,
        rebuild: bool = False,
        fresh: bool = False,
        readers: Readers | None = None,
    ) -> None:
        self.settings = settings
        # The OCR / speech / photo-tag models media are read with; by default the process's
        # shared ones. Tests of other things pass cheap ones: running the real models on every
        # synthetic photo costs seconds per test and tests nothing of theirs.
        self._readers = readers
        self.data = private_dir(data or data_dir())
        self.embedder = embedder or make_embedder(settings)
        ident = IndexIdentity(self.embedder.provider, self.embedder.model_id, self.embedder.dims)
        # fresh: a new, empty index folder whatever state the old one is in (a repair)
        self.store = Store.open(self.data, ident, rebuild=rebuild, fresh=fresh)
        self.excluder = Excluder(settings.excludes)
        # One writer per index (see core/lock.py); readers never take it.
        self.lock = IndexLock(self.data)
        self._searcher: Searcher | None = None

    @property
    def folders(self) -> list[Path]:
        return self.settings.effective_folders()

    def indexer(self) -> Indexer:
        local_only = [Path(p).expanduser() for p in self.settings.local_only]
        return Indexer(
            self.store,
            self.embedder,
            self.excluder,
            local_only,
            readers=self.readers(),
            budget=Budget(float(self.settings.budget_usd or 0.0)),
        )

    def readers(self) -> Readers:
        """The media readers; re-encoded media only for a provider that embeds media."""
        from dataclasses import replace

        readers = self._readers or default_readers()
        return replace(readers, media_bytes="audio" in self.embedder.modalities)

    def index(self, roots: Sequence[Path] | None = None) -> Generator[Progress, None, IndexReport]:
        with self.lock:  # IndexLocked (an IndexError_) when another Loci is updating it
            indexer = self.indexer()
            pruned = indexer.prune(self.folders)  # folders no longer in the settings leave
            report = yield from indexer.run(list(roots or self.folders))
        report.deleted += pruned.deleted
        report.deleted_paths += pruned.deleted_paths
        if self._searcher is not None:
            self._searcher.vectors.apply(report.changed_paths + report.deleted_paths)
        return report

    def counts(self) -> dict[str, int]:
        """Files and pieces of the configured folders only.

        Files of a folder that left the settings stay in the index until the next index or
        sync run removes them (reading never writes); they are counted apart as ``outside``.
        """
        roots = [Path(os.path.abspath(f)) for f in self.folders]
        counts = {"files": 0, "errors": 0, "pending": 0, "pieces": 0, "outside": 0}
        for path, row in self.store.files().items():
            if not under(path, roots):
                counts["outside"] += 1
            elif row.status == FileStatus.INDEXED:
                counts["files"] += 1
                counts["pieces"] += row.pieces
            elif row.status.failed:
                counts["errors"] += 1
            elif row.status == FileStatus.PENDING:
                counts["pending"] += 1
        return counts

    def searcher(self) -> Searcher:
        if self._searcher is None:
            self._searcher = Searcher(
                self.store, self.embedder, VectorIndex(self.store), readers=self._readers
            )
        return self._searcher

    def status(self) -> EngineStatus:
        counts = self.counts()
        state = self.store.read_state()
        return EngineStatus(
            folders=[str(f) for f in self.folders],
            demo=self.settings.is_demo(),
            provider=self.embedder.provider,
            model=self.embedder.model_id,
            dims=self.embedder.dims,
            index=str(self.store.folder),
            index_bytes=self.store.disk_bytes(),
            usage_tokens=int(state.get("usage_tokens", 0)),
            spent_usd=round(float(state.get("spent_usd", 0.0)), 6),
            budget_usd=float(self.settings.budget_usd or 0.0),
            files=counts["files"],
            errors=counts["errors"],
            pending=counts["pending"],
            pieces=counts["pieces"],
            outside=counts["outside"],
        )
