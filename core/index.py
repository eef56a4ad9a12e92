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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.embed.base import Embedder, EmbedError
from core.extract import VERSION as EXTRACT_VERSION
from core.extract import ExtractError, extract, kind_of
from core.model import Piece, Progress
from core.scan import Entry, Excluder, path_key, scan
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
    changed_paths: list[str] = field(default_factory=list)
    deleted_paths: list[str] = field(default_factory=list)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
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
    ) -> None:
        self.store = store
        # OCR / speech models and whether to encode media for the provider (core.extract).
        self.readers = readers
        self.embedder = embedder
        self.excluder = excluder
        # Files below these folders never reach a cloud provider.
        self.local_only = [Path(os.path.abspath(p)) for p in local_only]
        self.batch_pieces = int(getattr(embedder, "preferred_batch", EMBED_BATCH))
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

    def run(self, roots: Sequence[Path]) -> Generator[Progress, None, IndexReport]:
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
                if old is None or old.status != "error" or old.error != entry.error:
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
                and old.status in ("indexed", "error")
                and not (self._stale and old.status == "indexed")
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
            if path.is_dir():
                for entry in scan([path], self.excluder):
                    if entry.error:
                        error_rows.append(_error_row(entry, entry.error))
                    elif kind_of(entry.path) is not None:
                        todo.append(entry)
                continue
            if kind_of(path) is None:
                report.skipped += 1
                continue
            old = known.get(key)
            if (
                old
                and old.mtime == st.st_mtime
                and old.size == st.st_size
                and old.status
                in (
                    "indexed",
                    "error",
                )
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
            set() if self._stale else {f.sha256 for f in known.values() if f.status == "indexed"}
        )
        ready: list[FileUpdate] = [FileUpdate(r) for r in error_rows]
        report.errors += len(error_rows)
        batch: list[_Work] = []
        batch_pieces = 0
        buffered = 0

        def flush_writes() -> None:
            nonlocal ready, buffered
            self.store.write(ready)
            ready = []
            buffered = 0

        try:
            for done, entry in enumerate(todo, start=1):
                yield Progress(done - 1, total, entry.key)
                report.changed_paths.append(entry.key)
                kind = kind_of(entry.path) or ""
                try:
                    sha = sha256_of(entry.path)
                except OSError as exc:
                    reason = (exc.strerror or str(exc)).lower()
                    ready.append(FileUpdate(_error_row(entry, reason, kind, "", "unreadable")))
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
                    status = "unreadable" if exc.retry else "error"
                    ready.append(FileUpdate(_error_row(entry, str(exc), kind, sha, status)))
                    report.errors += 1
                    continue
                self._guard_media(pieces)
                batch.append(_Work(entry, sha, kind, pieces, self._keyword_only(entry.key)))
                batch_pieces += len(pieces)
                if batch_pieces >= self.batch_pieces:
                    ready.extend(self._embed(batch, report))
                    buffered += batch_pieces
                    batch, batch_pieces = [], 0
                    if buffered >= WRITE_BATCH:
                        flush_writes()
            if batch:
                ready.extend(self._embed(batch, report))
                batch = []
            flush_writes()
            if gone:
                self.store.delete(gone)
                report.deleted = len(gone)
                report.deleted_paths = list(gone)
            if (total or gone) and self.optimize_after_run:
                self.store.optimize()
        except EmbedError as exc:
            # Fatal (a rejected key): keep what is done, leave the rest for the next run.
            flush_writes()
            report.fatal = str(exc)
        self._record_usage()
        yield Progress(total, total, message="done")
        report.seconds = time.perf_counter() - started
        return report

    def _embed(self, batch: list[_Work], report: IndexReport) -> list[FileUpdate]:
        """Embed a batch of files' pieces; a piece's failure fails only its own file."""
        pieces = [p for w in batch if not w.keyword_only for p in w.pieces if p.embed]
        results = iter(self._embed_pieces(pieces))
        zero = np.zeros(self.store.ident.dims, dtype=np.float32)
        updates = []
        for w in batch:
            n = len(w.pieces)
            vecs: list[np.ndarray | EmbedError] = [
                next(results) if p.embed and not w.keyword_only else zero for p in w.pieces
            ]
            failure = next((v for v in vecs if isinstance(v, EmbedError)), None)
            if failure is not None:
                if failure.fatal:
                    raise failure
                if failure.transient:
                    report.pending += 1
                else:
                    report.errors += 1
                status = "pending" if failure.transient else "error"
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

    def _record_usage(self) -> None:
        """Add the tokens the provider reported since last time to the index's total."""
        used = int(getattr(self.embedder, "usage_tokens", 0) or 0)
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
        each = getattr(self.embedder, "embed_each", None)
        if each is not None:
            return list(each(pieces))
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
    return any(path == str(r) or path.startswith(str(r).rstrip(os.sep) + os.sep) for r in roots)


def _file_row(entry: Entry, sha: str, kind: str, pieces: int) -> FileRow:
    return FileRow(
        path=entry.key,
        mtime=entry.mtime,
        size=entry.size,
        sha256=sha,
        status="indexed",
        pieces=pieces,
        indexed_at=time.time(),
        kind=kind,
    )


def _error_row(
    entry: Entry, error: str, kind: str = "", sha: str = "", status: str = "error"
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
