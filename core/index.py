"""The indexer: bring the index in step with the folders, embedding only new content.

Stat every file (mtime + size); hash only those whose stat changed; re-use stored vectors
when the content is already known (a move, a rename, a copy, a touch); extract and embed
the rest in batches; remove files that are gone. A file that cannot be read, parsed or
embedded is recorded with its error and never stops the run.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Generator, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.cost import Budget
from core.embed.base import (
    CountsUsage,
    Embedder,
    EmbedError,
    EmbedsEach,
    GoesOffline,
    PrefersBatch,
    Priced,
)
from core.extract import VERSION as EXTRACT_VERSION
from core.extract import ExtractError, extract, kind_of, size_limit
from core.model import FileStatus, Piece, Progress
from core.scan import NOT_REGULAR, Entry, Excluder, link_problem, open_regular, path_key, scan
from core.store import FileRow, FileUpdate, PieceRow, Store

EMBED_BATCH = 64  # pieces per embedding call
WRITE_BATCH = 512  # pieces buffered before one write: few versions, few fragments


@dataclass
class IndexReport:
    scanned: int = 0
    unchanged: int = 0
    indexed: int = 0
    reused: int = 0
    deleted: int = 0
    errors: int = 0
    pending: int = 0
    skipped: int = 0
    embedded_pieces: int = 0
    seconds: float = 0.0
    fatal: str = ""
    budget_stop: str = ""  # why the run stopped at the budget; its files are left pending
    spent_usd: float = 0.0  # estimated dollars this run sent to a paid provider
    changed_paths: list[str] = field(default_factory=list)
    deleted_paths: list[str] = field(default_factory=list)


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


@dataclass
class _Work:
    entry: Entry
    sha: str
    kind: str
    pieces: list[Piece]
    # A local-only folder's file while a cloud provider is in use: stored for keyword search
    # with a zero vector, never sent anywhere.
    keyword_only: bool = False
    cost: float = 0.0  # estimated dollars to embed it (a paid provider under a budget)


class Indexer:
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
                and _under(str(m.path), roots)
                and not self.excluder.skips_path(m.path, roots)
                and not self._keyword_only(str(m.path))
            ]

    _roots: list[Path] = []

    def _keyword_only(self, key: str) -> bool:
        return self.embedder.provider != "local" and _under(key, self.local_only)

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
            self.store.update_state(extract_version=EXTRACT_VERSION)
            self._stale = False
        return report

    @property
    def _stale(self) -> bool:
        """The index was written by an older extractor: every file is redone once."""
        if self._stale_known is None:
            state = self.store.read_state()
            # An empty index has nothing stale; mark it current at once.
            self._stale_known = int(state.get("extract_version", 1)) < EXTRACT_VERSION
        return self._stale_known

    @_stale.setter
    def _stale(self, value: bool) -> None:
        self._stale_known = value

    _stale_known: bool | None = None

    def prune(self, keep: Sequence[Path]) -> IndexReport:
        """Drop every file outside the folders in ``keep`` (a folder removed from the settings,
        the demo once the user has folders of their own). The files themselves are untouched."""
        keep = [Path(os.path.abspath(r)) for r in keep]
        gone = [p for p in self.store.files() if not _under(p, keep)]
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
        report = IndexReport()
        roots = [Path(os.path.abspath(r)) for r in roots]
        self._roots = roots
        known = self.store.files()
        seen: set[str] = set()
        todo: list[Entry] = []
        error_rows: list[FileRow] = []
        for entry in scan(roots, self.excluder):
            report.scanned += 1
            seen.add(entry.key)
            old = known.get(entry.key)
            if entry.error:
                if old is None or old.status != FileStatus.ERROR or old.error != entry.error:
                    error_rows.append(_error_row(entry, entry.error))
                else:
                    report.unchanged += 1
                continue
            if kind_of(entry.path) is None:
                report.skipped += 1
                continue
            if (
                old is not None
                and old.mtime == entry.mtime
                and old.size == entry.size
                and old.status in (FileStatus.INDEXED, FileStatus.ERROR)
                and not (self._stale and old.status == FileStatus.INDEXED)
            ):
                report.unchanged += 1
                continue
            todo.append(entry)
        gone = [p for p in known if p not in seen and _under(p, roots)]
        return todo, gone, error_rows, known, report

    def update(
        self, paths: Iterable[Path], roots: Sequence[Path]
    ) -> Generator[Progress, None, IndexReport]:
        """Bring just these paths in step (the watcher's batches): index, re-use or drop."""
        self._new_run()
        started = time.perf_counter()
        report = IndexReport()
        roots = [Path(os.path.abspath(r)) for r in roots]
        self._roots = roots
        known = self.store.files()
        todo: list[Entry] = []
        gone: list[str] = []
        error_rows: list[FileRow] = []
        for path in paths:
            path = Path(os.path.abspath(path))
            key = path_key(path)
            if self.excluder.skips_path(path, roots):
                continue
            try:
                st = path.stat()
            except FileNotFoundError:
                if key in known:
                    gone.append(key)
                # a vanished folder: drop everything below it
                prefix = key.rstrip(os.sep) + os.sep
                gone.extend(p for p in known if p.startswith(prefix))
                continue
            except OSError as exc:
                error_rows.append(_error_row(Entry(key, path, 0, 0), exc.strerror or str(exc)))
                continue
            problem = link_problem(path, roots, self.excluder)
            if problem:
                if not stat.S_ISDIR(st.st_mode):
                    error_rows.append(_error_row(Entry(key, path, 0, 0), problem))
                continue  # a linked folder is never followed
            if stat.S_ISDIR(st.st_mode):
                if path.is_symlink():
                    continue  # linked folders are not followed, as in the full scan
                for entry in scan([path], self.excluder, within=roots):
                    if entry.error:
                        error_rows.append(_error_row(entry, entry.error))
                    elif kind_of(entry.path) is not None:
                        todo.append(entry)
                continue
            if kind_of(path) is None:
                report.skipped += 1
                continue
            if not stat.S_ISREG(st.st_mode):  # a pipe or a device: reading it would hang
                error_rows.append(_error_row(Entry(key, path, 0, 0), NOT_REGULAR))
                continue
            old = known.get(key)
            if (
                old
                and old.mtime == st.st_mtime
                and old.size == st.st_size
                and old.status in (FileStatus.INDEXED, FileStatus.ERROR)
            ):
                report.unchanged += 1
                continue
            todo.append(Entry(key, path, st.st_mtime, st.st_size))
        report.scanned = len(todo)
        return (yield from self._process(todo, gone, error_rows, known, report, started))

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
        # Pieces of an older extractor are not worth re-using for a copy.
        known_hashes = (
            set()
            if self._stale
            else {f.sha256 for f in known.values() if f.status == FileStatus.INDEXED}
        )
        ready: list[FileUpdate] = [FileUpdate(r) for r in error_rows]
        report.errors += len(error_rows)
        batch: list[_Work] = []
        batch_pieces = 0
        buffered = 0
        # Embedding runs on a worker thread while the next round is read and chunked and
        # the last one stored, so the API is never idle while files are being read.
        pool = ThreadPoolExecutor(1, thread_name_prefix="loci-embed")
        inflight: list[tuple[list[_Work], list[Future[list[np.ndarray | EmbedError]]], int]] = []

        def flush_writes() -> None:
            nonlocal ready, buffered
            self.store.write(ready)
            ready = []
            buffered = 0

        # A long file's pieces go in rounds, with a progress event after each, so the bar
        # moves within one file too (``message``: "piece 512 of 2,000").
        step = max(1, self.batch_pieces * PROGRESS_ROUNDS)

        def send(works: list[_Work], at: int) -> None:
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
                    reason = f"too large to index ({_size(entry.size)}; limit {_size(limit)})"
                    ready.append(FileUpdate(_error_row(entry, reason, kind)))
                    report.errors += 1
                    continue
                try:
                    sha = sha256_of(entry.path, entry.size)
                except OSError as exc:
                    reason = (exc.strerror or str(exc)).lower()
                    ready.append(
                        FileUpdate(_error_row(entry, reason, kind, "", FileStatus.UNREADABLE))
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
                        ready.append(FileUpdate(_file_row(entry, sha, kind, len(rows)), rows))
                        buffered += len(rows)
                        report.reused += 1
                        continue
                try:
                    pieces = extract(entry.path, self.readers)
                except ExtractError as exc:
                    status = FileStatus.UNREADABLE if exc.retry else FileStatus.ERROR
                    ready.append(FileUpdate(_error_row(entry, str(exc), kind, sha, status)))
                    report.errors += 1
                    continue
                if len(pieces) > MAX_PIECES:
                    reason = (
                        f"too long to index: {len(pieces):,} pieces (the limit is "
                        f"{MAX_PIECES:,} a file); split it into smaller files or exclude it"
                    )
                    ready.append(FileUpdate(_error_row(entry, reason, kind, sha)))
                    report.errors += 1
                    continue
                self._guard_media(pieces)
                work = _Work(entry, sha, kind, pieces, self._keyword_only(entry.key))
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

    def _raise_fatal(self) -> None:
        """After a round's results are kept: stop the run if one of them was fatal."""
        fatal, self._fatal = self._fatal, None
        if fatal is not None:
            raise fatal

    _fatal: EmbedError | None = None
    _stop: EmbedError | None = None

    def _collect(
        self,
        batch: list[_Work],
        results: Sequence[np.ndarray | EmbedError],
        report: IndexReport,
    ) -> list[FileUpdate]:
        """The files' updates from their pieces' results; a piece's failure fails only
        its own file.

        A fatal failure (a rejected key) is raised only after this round's vectors are
        kept (:meth:`_raise_fatal`): the files whose pieces came back are stored, the
        others left for the next run.
        """
        pieces = [p for w in batch if not w.keyword_only for p in w.pieces if p.embed]
        self._gathered = max(0.0, self._gathered - sum(w.cost for w in batch))
        self._spend(pieces, results, report)
        vectors = iter(results)
        zero = np.zeros(self.store.ident.dims, dtype=np.float32)
        updates = []
        for w in batch:
            n = len(w.pieces)
            vecs: list[np.ndarray | EmbedError] = [
                next(vectors) if p.embed and not w.keyword_only else zero for p in w.pieces
            ]
            failure = next((v for v in vecs if isinstance(v, EmbedError)), None)
            if failure is not None:
                if failure.fatal:
                    self._fatal = self._fatal or failure
                    continue  # not recorded: the next run tries this file again
                if failure.offline:
                    self._stop = self._stop or failure
                if failure.transient:
                    report.pending += 1
                else:
                    report.errors += 1
                status = FileStatus.PENDING if failure.transient else FileStatus.ERROR
                updates.append(FileUpdate(_error_row(w.entry, str(failure), w.kind, w.sha, status)))
                continue
            rows = [
                PieceRow(
                    piece=i,
                    kind=p.kind,
                    mime=p.mime,
                    title=p.title,
                    text=p.text,
                    locator=p.locator,
                    vector=vecs[i],  # type: ignore[arg-type]
                )
                for i, p in enumerate(w.pieces)
            ]
            if not w.keyword_only:
                report.embedded_pieces += sum(p.embed for p in w.pieces)
            updates.append(FileUpdate(_file_row(w.entry, w.sha, w.kind, n), rows))
            report.indexed += 1
        return updates

    _spent = 0.0
    _gathered = 0.0

    def _price(self, pieces: Sequence[Piece]) -> float:
        if not isinstance(self.embedder, Priced):
            return 0.0
        return sum(self.embedder.price_of(p) for p in pieces)

    def _affordable(self, work: _Work, report: IndexReport) -> bool:
        """Whether embedding this file too keeps the index within its budget.

        ``_gathered`` is the price of the files gathered for the next round, not yet sent.
        """
        if self.budget is None or self.budget.limit <= 0:
            return True
        cost = 0.0 if work.keyword_only else self._price(work.pieces)
        if self._spent + self._gathered + cost <= self.budget.limit + 1e-9:
            self._gathered += cost
            work.cost = cost
            return True
        report.budget_stop = (
            f"budget of ${self.budget.limit:.2f} reached (${self._spent:.2f} spent); "
            "the remaining files are left pending: raise budget_usd in the settings"
        )
        return False

    def _spend(
        self, pieces: Sequence[Piece], results: Sequence[np.ndarray | EmbedError], report: Any
    ) -> None:
        """Add what the pieces that got a vector cost to the index's spending."""
        done = [p for p, r in zip(pieces, results, strict=True) if not isinstance(r, EmbedError)]
        cost = self._price(done)
        if cost > 0:
            self._spent += cost
            report.spent_usd += cost
            self.store.update_state(spent_usd=round(self._spent, 6))

    def _record_usage(self) -> None:
        """Add the tokens the provider reported since last time to the index's total."""
        used = int(self.embedder.usage_tokens or 0) if isinstance(self.embedder, CountsUsage) else 0
        new = used - self._usage_seen
        if new > 0:
            total = int(self.store.read_state().get("usage_tokens", 0))
            self.store.update_state(usage_tokens=total + new)
            self._usage_seen = used

    _usage_seen = 0

    def _embed_pieces(self, pieces: list[Piece]) -> list[np.ndarray | EmbedError]:
        """One vector or one error per piece, whatever the provider offers."""
        if not pieces:
            return []
        if isinstance(self.embedder, EmbedsEach):
            return list(self.embedder.embed_each(pieces))
        try:
            return list(self.embedder.embed_documents(pieces))
        except EmbedError as exc:
            if exc.fatal or len(pieces) == 1:
                return [exc] * len(pieces)
        # Find the culprit one piece at a time; the others still get their vectors.
        out: list[np.ndarray | EmbedError] = []
        for p in pieces:
            out.extend(self._embed_pieces([p]))
        return out


def _under(path: str, roots: Sequence[Path]) -> bool:
    """Whether the key ``path`` is one of ``roots`` or below one."""
    keys = [path_key(r) for r in roots]
    return any(path == k or path.startswith(k.rstrip(os.sep) + os.sep) for k in keys)


def _size(n: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def _file_row(entry: Entry, sha: str, kind: str, pieces: int) -> FileRow:
    return FileRow(
        path=entry.key,
        mtime=entry.mtime,
        size=entry.size,
        sha256=sha,
        status=FileStatus.INDEXED,
        pieces=pieces,
        indexed_at=time.time(),
        kind=kind,
    )


def _error_row(
    entry: Entry, error: str, kind: str = "", sha: str = "", status: FileStatus = FileStatus.ERROR
) -> FileRow:
    return FileRow(
        path=entry.key,
        mtime=entry.mtime,
        size=entry.size,
        sha256=sha,
        status=status,
        error=error,
        pieces=0,
        indexed_at=time.time(),
        kind=kind or (kind_of(entry.path) or ""),
    )
