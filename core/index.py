"""The indexer: bring the index in step with the folders, embedding only new content.

Stat every file (mtime + size); hash only those whose stat changed; re-use stored vectors
when the content is already known (a move, a rename, a copy, a touch); extract and embed
the rest in batches; remove files that are gone. A file that cannot be read, parsed or
embedded is recorded with its error and never stops the run.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Generator, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from core.cost import Budget
from core.embed.base import Embedder, EmbedError, GoesOffline, PrefersBatch
from core.extract import VERSION as EXTRACT_VERSION
from core.extract import ExtractError, extract, kind_of, size_limit
from core.index_embed import EmbeddingRounds
from core.index_plan import ALL_KINDS, is_stale, plan_folders, plan_paths
from core.index_rows import IndexReport, Work, error_row, file_row, size_text, under
from core.model import FileStatus, Piece, Progress
from core.scan import Entry, Excluder, open_regular
from core.store import FileRow, FileUpdate, Store

EMBED_BATCH = 64  # pieces per embedding call
WRITE_BATCH = 512  # pieces buffered before one write: few versions, few fragments
PROGRESS_ROUNDS = 8  # embedding calls' worth of pieces between two progress events
MAX_PIECES = 2000  # per file: ~3 MB of text, a 100-hour recording, a 12,000-page PDF


def sha256_of(path: Path, limit: int | None = None) -> str:
    """The content hash; only a regular file is opened, and at most ``limit`` bytes (the
    size the scan saw) are read, so a file that grows forever cannot stall the run."""
    h = hashlib.sha256()
    remaining = limit
    with open_regular(path) as f:
        while remaining is None or remaining > 0:
            chunk = f.read(1 << 20 if remaining is None else min(1 << 20, remaining))
            if not chunk:
                break
            h.update(chunk)
            if remaining is not None:
                remaining -= len(chunk)
    return h.hexdigest()


class Indexer(EmbeddingRounds):
    """Runs one reconciliation of ``roots`` against ``store`` with ``embedder``."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        excluder: Excluder,
        local_only: Sequence[Path] = (),
        *,
        optimize: bool = True,
        readers: Any = None,
        budget: Budget | None = None,
    ) -> None:
        self.store = store
        # Dollars a paid provider may spend on this index (core.cost); None: no limit.
        self.budget = budget
        # OCR / speech models and whether to encode media for the provider (core.extract).
        self.readers = readers
        self.embedder = embedder
        self.excluder = excluder
        # Files below these folders never reach a cloud provider.
        self.local_only = [Path(os.path.abspath(p)) for p in local_only]
        self.batch_pieces = (
            int(embedder.preferred_batch) if isinstance(embedder, PrefersBatch) else EMBED_BATCH
        )
        # The background sync turns this off and optimizes at quiet moments instead.
        self.optimize_after_run = optimize

    def _guard_media(self, pieces: list[Piece]) -> None:
        """Drop linked media outside the indexed folders, excluded, or in a local-only folder.

        A note may link any image on the disk; only what Loci would index itself may travel
        with it (never a secret, never a local-only folder's photo to a cloud provider).
        """
        roots = self._roots
        for piece in pieces:
            if piece.kind != "note" or not piece.media:
                continue
            piece.media = [
                m
                for m in piece.media
                if m.path is not None
                and under(str(m.path), roots)
                and not self.excluder.skips_path(m.path, roots)
                and not self._keyword_only(str(m.path))
            ]

    _roots: list[Path] = []

    def _keyword_only(self, key: str) -> bool:
        return self.embedder.provider != "local" and under(key, self.local_only)

    def _new_run(self) -> None:
        # A dead network is remembered for one run only; the next run tries again.
        if isinstance(self.embedder, GoesOffline):
            self.embedder.reset_offline()
        self._stop: EmbedError | None = None
        self._fatal: EmbedError | None = None
        self._spent = float(self.store.read_state().get("spent_usd", 0.0))
        self._gathered = 0.0

    def run(self, roots: Sequence[Path]) -> Generator[Progress, None, IndexReport]:
        self._new_run()
        started = time.perf_counter()
        yield Progress(0, 0, message="scanning")
        todo, gone, error_rows, known, report = self.plan(roots)
        report = yield from self._process(todo, gone, error_rows, known, report, started)
        if self._stale and not report.fatal:  # pending files are retried anyway
            self.store.update_state(extract_version=EXTRACT_VERSION, embedded_as=self._revisions())
            self._stale_known = frozenset()
        return report

    def _revisions(self) -> dict[str, str]:
        return dict(getattr(self.embedder, "revisions", {}))

    @property
    def _stale(self) -> frozenset[str]:
        """The kinds of file to redo once: every kind (``ALL_KINDS``) when the index was written
        by an older extractor; a kind the embedder now embeds differently (its ``revisions``,
        e.g. the local model's photos) when only that changed."""
        if self._stale_known is None:
            state = self.store.read_state()
            if int(state.get("extract_version", 1)) < EXTRACT_VERSION:
                self._stale_known = ALL_KINDS
            else:
                was = state.get("embedded_as") or {}
                now = self._revisions()
                self._stale_known = frozenset(k for k in now if was.get(k) != now[k])
        return self._stale_known

    _stale_known: frozenset[str] | None = None

    def prune(self, keep: Sequence[Path]) -> IndexReport:
        """Drop every file outside the folders in ``keep`` (a folder removed from the settings,
        the demo once the user has folders of their own). The files themselves are untouched."""
        keep = [Path(os.path.abspath(r)) for r in keep]
        gone = [p for p in self.store.files() if not under(p, keep)]
        report = IndexReport()
        if gone:
            self.store.delete(gone)
            report.deleted = len(gone)
            report.deleted_paths = gone
        return report

    def plan(
        self, roots: Sequence[Path]
    ) -> tuple[list[Entry], list[str], list[FileRow], dict[str, FileRow], IndexReport]:
        """What a run would do: files to (re)index, files gone, scan errors. Stat only."""
        roots = [Path(os.path.abspath(r)) for r in roots]
        self._roots = roots
        known = self.store.files()
        plan = plan_folders(roots, known, self.excluder, self._stale)
        return plan.todo, plan.gone, plan.error_rows, known, plan.report

    def update(
        self, paths: Iterable[Path], roots: Sequence[Path]
    ) -> Generator[Progress, None, IndexReport]:
        """Bring just these paths in step (the watcher's batches): index, re-use or drop."""
        self._new_run()
        started = time.perf_counter()
        roots = [Path(os.path.abspath(r)) for r in roots]
        self._roots = roots
        known = self.store.files()
        plan = plan_paths(paths, roots, known, self.excluder)
        plan.report.scanned = len(plan.todo)
        return (
            yield from self._process(
                plan.todo, plan.gone, plan.error_rows, known, plan.report, started
            )
        )

    def _process(
        self,
        todo: list[Entry],
        gone: list[str],
        error_rows: list[FileRow],
        known: dict[str, FileRow],
        report: IndexReport,
        started: float,
    ) -> Generator[Progress, None, IndexReport]:
        total = len(todo)
        # Pieces of an older extractor (or embedding) are not worth re-using for a copy.
        stale = self._stale
        known_hashes = {
            f.sha256
            for path, f in known.items()
            if f.status == FileStatus.INDEXED and not is_stale(kind_of(Path(path)), stale)
        }
        ready: list[FileUpdate] = [FileUpdate(r) for r in error_rows]
        report.errors += len(error_rows)
        batch: list[Work] = []
        batch_pieces = 0
        buffered = 0
        # Embedding runs on a worker thread while the next round is read and chunked and
        # the last one stored, so the API is never idle while files are being read.
        pool = ThreadPoolExecutor(1, thread_name_prefix="loci-embed")
        inflight: list[tuple[list[Work], list[Future[list[np.ndarray | EmbedError]]], int]] = []

        def flush_writes() -> None:
            nonlocal ready, buffered
            self.store.write(ready)
            ready = []
            buffered = 0

        # A long file's pieces go in rounds, with a progress event after each, so the bar
        # moves within one file too (``message``: "piece 512 of 2,000").
        step = max(1, self.batch_pieces * PROGRESS_ROUNDS)

        def send(works: list[Work], at: int) -> None:
            pieces = [p for w in works if not w.keyword_only for p in w.pieces if p.embed]
            rounds = [
                pool.submit(self._embed_pieces, pieces[i : i + step])
                for i in range(0, len(pieces), step)
            ] or [pool.submit(list)]  # keyword-only files: nothing to embed, still in order
            inflight.append((works, rounds, at))

        def collect(keep_fatal: bool = True) -> Generator[Progress, None, None]:
            nonlocal buffered
            works, rounds, at = inflight.pop(0)
            n = sum(1 for w in works if not w.keyword_only for p in w.pieces if p.embed)
            results: list[np.ndarray | EmbedError] = []
            for i, future in enumerate(rounds):
                if i:
                    yield Progress(at, total, works[-1].entry.key, f"piece {i * step:,} of {n:,}")
                results.extend(future.result())
            ready.extend(self._collect(works, results, report))
            buffered += sum(len(w.pieces) for w in works)
            if keep_fatal:
                self._raise_fatal()
            if buffered >= WRITE_BATCH:
                flush_writes()

        try:
            for done, entry in enumerate(todo, start=1):
                if self._stop is not None:
                    # The network is down: stop early; these files are picked up next run.
                    report.pending += total - done + 1
                    break
                yield Progress(done - 1, total, entry.key)
                report.changed_paths.append(entry.key)
                kind = kind_of(entry.path) or ""
                limit = size_limit(kind)
                if limit and entry.size > limit:  # said before reading a byte of it
                    reason = (
                        f"too large to index ({size_text(entry.size)}; limit {size_text(limit)})"
                    )
                    ready.append(FileUpdate(error_row(entry, reason, kind)))
                    report.errors += 1
                    continue
                try:
                    sha = sha256_of(entry.path, entry.size)
                except OSError as exc:
                    reason = (exc.strerror or str(exc)).lower()
                    ready.append(
                        FileUpdate(error_row(entry, reason, kind, "", FileStatus.UNREADABLE))
                    )
                    report.errors += 1
                    continue
                if sha in known_hashes:
                    reused = self.store.pieces_of_hash(sha)
                    # Zero vectors (keyword-only copies) are not real vectors to re-use.
                    if reused is not None and (
                        self._keyword_only(entry.key) or all(r.vector.any() for r in reused[1])
                    ):
                        _source, rows = reused
                        ready.append(FileUpdate(file_row(entry, sha, kind, len(rows)), rows))
                        buffered += len(rows)
                        report.reused += 1
                        continue
                try:
                    pieces = extract(entry.path, self.readers)
                except ExtractError as exc:
                    status = FileStatus.UNREADABLE if exc.retry else FileStatus.ERROR
                    ready.append(FileUpdate(error_row(entry, str(exc), kind, sha, status)))
                    report.errors += 1
                    continue
                if len(pieces) > MAX_PIECES:
                    reason = (
                        f"too long to index: {len(pieces):,} pieces (the limit is "
                        f"{MAX_PIECES:,} a file); split it into smaller files or exclude it"
                    )
                    ready.append(FileUpdate(error_row(entry, reason, kind, sha)))
                    report.errors += 1
                    continue
                self._guard_media(pieces)
                work = Work(entry, sha, kind, pieces, self._keyword_only(entry.key))
                if not self._affordable(work, report):
                    # Over the budget: what is gathered is embedded; this file and the rest
                    # are left for a run with more budget.
                    report.pending += total - done + 1
                    break
                batch.append(work)
                batch_pieces += len(pieces)
                if batch_pieces >= self.batch_pieces:
                    send(batch, done - 1)
                    batch, batch_pieces = [], 0
                    # Store rounds that are back; wait only when three are out, so that
                    # reading runs ahead of the API by up to two rounds.
                    while inflight and (inflight[0][1][-1].done() or len(inflight) > 2):
                        yield from collect()
            if batch:
                send(batch, total - 1)
                batch = []
            while inflight:
                yield from collect()
            flush_writes()
            if gone:
                self.store.delete(gone)
                report.deleted = len(gone)
                report.deleted_paths = list(gone)
            if (total or gone) and self.optimize_after_run:
                self.store.optimize()
        except EmbedError as exc:
            # Fatal (a rejected key): keep what is done, leave the rest for the next run.
            while inflight:
                yield from collect(keep_fatal=False)  # what came back is kept
            flush_writes()
            report.fatal = str(exc)
        finally:
            pool.shutdown(wait=True)  # never leave a round embedding behind the caller
        self._record_usage()
        yield Progress(total, total, message="done")
        report.seconds = time.perf_counter() - started
        return report
