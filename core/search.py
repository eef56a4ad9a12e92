"""Search and recall: exact dot-product ranking over the vector index (core/vectors/).

The index holds every piece vector, kept in step with the store; a query costs one scan
of it (float32, or int8 with exact rescoring at scale) and a partial sort. Each piece scores
its cosine plus a bounded keyword bonus (:mod:`core.relevance`); results are grouped per file,
ordered by that one score, and cut at the embedder's score floor so that "no good match" is
said honestly.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core import relevance
from core.embed.base import SEARCH, Embedder, Query, normalise
from core.errors import NothingToSearch
from core.extract import extract, kind_of
from core.extract.readers import Readers
from core.model import Hit, MediaPart, Piece
from core.store import Store
from core.vectors import Snapshot, VectorIndex

SNIPPET_CHARS = 240
COMBINED, VECTOR, KEYWORD = "combined", "vector", "keyword"
MODES = (COMBINED, VECTOR, KEYWORD)
# How deep each query term is looked up in the keyword index: past this a term is common.
TERM_DEPTH = 200


@dataclass
class Filters:
    kinds: Sequence[str] = ()
    folder: str = ""
    since: float = 0.0  # modified at or after (epoch seconds)

    def active(self) -> bool:
        return bool(self.kinds or self.folder or self.since)


class Searcher:
    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        vectors: VectorIndex,
        readers: Readers | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.vectors = vectors
        self.readers = readers  # a query file not in the index is read with these (None: default)

    # ---- queries ----

    def query_vector(
        self, text: str = "", files: Sequence[Path] = (), task: str = SEARCH
    ) -> np.ndarray:
        """One vector for text, files, or both (a dropped photo plus "at night").

        A file already in the index speaks through its stored vectors: nothing is sent and
        nothing re-read (no speech recognition again). A new photo, PDF, recording or video
        goes with the text as ONE Content holding only its first window (≤ 6 pages,
        ≤ 180 s of sound, ≤ 120 s of video: what one request takes); a new note is
        embedded whole.
        """
        media: list[MediaPart] = []
        parts: list[np.ndarray] = []
        for f in files:
            stored = self.stored_vector(f)
            if stored is not None:
                parts.append(stored)
                continue
            kind = kind_of(f)
            if kind and kind in self.embedder.modalities and kind != "note":
                window = self._first_window(f)
                if not media:
                    media = window  # it goes with the words, in one Content
                elif window:  # another medium: its own call, within its own limits
                    parts.append(self.embedder.embed_query(Query(media=window, task=task)))
            else:
                parts.append(self.file_vector(f))
        if media or text:
            parts.insert(0, self.embedder.embed_query(Query(text=text, media=media, task=task)))
        if not parts:
            raise NothingToSearch("nothing to search with: give a query, a file, or both")
        return normalise(np.sum(parts, axis=0))

    def memory_vector(self, text: str) -> np.ndarray:
        """Typed text embedded the way stored memories are (the document side, with no query
        prefix), so recall compares like with like for every provider."""
        if not text.strip():
            raise NothingToSearch("nothing to recall from: type some text")
        piece = Piece(kind="note", title="", text=text)
        return normalise(self.embedder.embed_documents([piece])[0])

    def stored_vector(self, path: Path) -> np.ndarray | None:
        """The mean of an indexed file's piece vectors; None when it is not indexed."""
        from core.scan import path_key

        snap = self.vectors.snap  # one consistent state for the whole call
        key = path_key(os.path.abspath(path))
        if len(snap.ids) and (rows := np.flatnonzero(snap.paths == key)).size:
            mean = snap.vectors(rows).mean(axis=0)
            if mean.any():  # keyword-only rows (a local-only folder) carry zero vectors
                return normalise(mean)
        return None

    @staticmethod
    def _first_window(path: Path) -> list[MediaPart]:
        """The media of a file's first piece, read without OCR or speech recognition."""
        from core.extract.readers import Readers

        pieces = extract(path, Readers(media_bytes=True))
        return list(pieces[0].media) if pieces else []

    def file_vector(self, path: Path) -> np.ndarray:
        """A file's meaning as one vector: its stored pieces if indexed, else embedded now."""
        stored = self.stored_vector(path)
        if stored is not None:
            return stored
        pieces = [p for p in extract(Path(path), self.readers) if p.embed]
        if not pieces:
            raise NothingToSearch(f"{path} has nothing to search with (it is empty)")
        return normalise(self.embedder.embed_documents(pieces).mean(axis=0))

    def search(
        self,
        text: str = "",
        *,
        files: Sequence[Path] = (),
        filters: Filters | None = None,
        limit: int = 10,
        exclude_paths: Iterable[str] = (),
        floor: float | None = None,
        mode: str = COMBINED,
    ) -> list[Hit]:
        """Hits for text and/or files; a file searched with is never among its own hits."""
        from core.scan import path_key

        q = self.query_vector(text, files)
        exclude = {*exclude_paths, *(path_key(os.path.abspath(f)) for f in files)}
        return self.search_vector(
            q,
            keywords=text,
            filters=filters,
            limit=limit,
            exclude_paths=exclude,
            floor=floor,
            mode=mode,
        )

    def search_vector(
        self,
        q: np.ndarray,
        *,
        keywords: str = "",
        filters: Filters | None = None,
        limit: int = 10,
        exclude_paths: Iterable[str] = (),
        floor: float | None = None,
        mode: str = COMBINED,
    ) -> list[Hit]:
        """The best piece of each of the ``limit`` best files, ordered by the score shown.

        ``mode`` is ``combined`` (cosine plus a bounded keyword bonus: what users get),
        ``vector`` or ``keyword`` (BM25 alone); the last two exist to measure the first.
        ``floor=-inf`` turns the "no good match" cut off (for ranking metrics).
        """
        if mode not in MODES:
            raise ValueError(f"unknown ranking mode {mode!r}")
        snap = self.vectors.snap  # one consistent state for the whole call
        filters = filters or Filters()
        floor = self.embedder.score_floor if floor is None else floor
        mask = self.vectors.mask(filters, snap)
        excluded = set(exclude_paths)
        if excluded:
            keep = np.fromiter((p not in excluded for p in snap.paths), bool, len(snap.ids))
            mask = keep if mask is None else mask & keep
        depth = limit * 8 + 32
        if mode == KEYWORD:
            return self._keyword_only(snap, keywords, mask, depth, limit, floor)
        cosine: dict[int, float] = {}
        rows, scores = self.vectors.rank(q, depth, mask, snap)
        for row, cos in zip(rows.tolist(), scores.tolist(), strict=True):
            if not np.isfinite(cos):
                break
            cosine[row] = cos
        evidence = None
        if mode == COMBINED:
            evidence = self._evidence(snap, keywords, mask)
            for row in evidence.rows():
                cosine.setdefault(row, float(snap.vector(row) @ q))
        relevant: dict[int, float] = {}  # row -> the one score that orders and is shown
        for row, cos in cosine.items():
            if evidence is None:
                ok, value = cos >= floor, cos
            else:
                # The floor judges the score shown; below it, only strong keyword evidence.
                value = cos + relevance.bonus(evidence, row)
                ok = value >= floor or evidence.strong(row)
            if ok:
                relevant[row] = value
        best = self._best_per_file(snap, relevant, limit)
        return self._hits(snap, best, relevant, keywords)

    def _evidence(
        self, snap: Snapshot, keywords: str, mask: np.ndarray | None
    ) -> relevance.Evidence:
        def lookup(fts: str, limit: int) -> list[tuple[int, float]]:
            rows = []
            for pid, bm25 in self.store.keyword_search(fts, limit):
                row = snap.row_of.get(pid)
                if row is not None and (mask is None or mask[row]):
                    rows.append((row, float(bm25)))
            return rows

        terms = relevance.query_terms(keywords)
        return relevance.gather(terms, lookup, len(snap.ids), TERM_DEPTH)

    def _keyword_only(
        self,
        snap: Snapshot,
        keywords: str,
        mask: np.ndarray | None,
        depth: int,
        limit: int,
        floor: float,
    ) -> list[Hit]:
        """BM25 alone over the cleaned query; the floor asks for strong keyword evidence."""
        evidence = self._evidence(snap, keywords, mask) if np.isfinite(floor) else None
        score: dict[int, float] = {}
        terms = relevance.query_terms(keywords)
        for pid, bm25 in self.store.keyword_search(" ".join(terms), depth):
            row = snap.row_of.get(pid)
            if row is None or (mask is not None and not mask[row]):
                continue
            if evidence is None or evidence.strong(row):
                score.setdefault(row, float(bm25))
        return self._hits(snap, self._best_per_file(snap, score, limit), score, keywords)

    @staticmethod
    def _best_per_file(snap: Snapshot, score: dict[int, float], limit: int) -> list[int]:
        best: dict[str, int] = {}
        for row in sorted(score, key=score.__getitem__, reverse=True):
            path = snap.paths[row]
            if path not in best:
                best[path] = row
                if len(best) >= limit:
                    break
        return list(best.values())

    def recall(
        self,
        *,
        path: str | None = None,
        text: str = "",
        limit: int = 10,
        floor: float | None = None,
    ) -> list[Hit]:
        """The other files most related to ``path`` (or to ``text``), by dot product."""
        snap = self.vectors.snap  # one consistent state for the whole call
        if path is not None:
            from core.scan import path_key

            key = path  # an index key (the app's hits), else a path typed by a person
            rows = np.flatnonzero(snap.paths == key)
            if not rows.size and os.path.isabs(path):
                key = path_key(os.path.abspath(path))
                rows = np.flatnonzero(snap.paths == key)
            if not len(rows):
                raise KeyError(f"{path} is not in the index")
            # Each other piece scores by its best match among this file's pieces.
            q = snap.vectors(rows)
        else:
            key, rows = "", np.zeros(0, dtype=np.int64)
            q = self.memory_vector(text)
        # A photo paired with a memory of another kind may have its own floor (the embedder's
        # photo_recall_floor); a floor given by the caller applies to every pair.
        if floor is None:
            same_floor, mixed_floor = self.embedder.recall_floor, self.embedder.photo_recall_floor
        else:
            same_floor = mixed_floor = floor
        from_photo = bool((snap.kinds[rows] == "image").any())  # typed text: no rows, a note
        lowest = min(same_floor, mixed_floor)
        mask = snap.paths != key if key else None
        rows, scores = self.vectors.rank(q, limit * 8 + 32, mask, snap)
        best: dict[str, int] = {}
        cosine: dict[int, float] = {}
        for row, s in zip(rows.tolist(), scores.tolist(), strict=True):
            if s < lowest:
                break
            if s < (mixed_floor if from_photo != (snap.kinds[row] == "image") else same_floor):
                continue
            p = snap.paths[row]
            if p not in best:
                best[p] = row
                cosine[row] = s
            if len(best) >= limit:
                break
        return self._hits(snap, list(best.values()), cosine, text)

    def _hits(
        self, snap: Snapshot, rows: list[int], cosine: dict[int, float], keywords: str
    ) -> list[Hit]:
        ids = [snap.ids[r] for r in rows]
        fetched = self.store.fetch(ids)
        terms = query_terms(keywords)
        hits = []
        for r, pid in zip(rows, ids, strict=True):
            info = fetched.get(pid)
            if info is None:
                continue  # removed since the matrix was loaded
            snippet, matched = make_snippet(info["text"], terms)
            hits.append(
                Hit(
                    path=info["path"],
                    kind=info["kind"],
                    score=float(cosine[r]),
                    title=info["title"],
                    snippet=snippet,
                    locator=info["locator"],
                    modified=float(info["mtime"]),
                    piece=int(info["piece"]),
                    piece_id=pid,
                    matched_terms=matched,
                )
            )
        return hits


query_terms = relevance.query_terms


def make_snippet(text: str, terms: Sequence[str]) -> tuple[str, list[str]]:
    """About SNIPPET_CHARS of ``text`` around the first query term found, and the terms found."""
    flat = " ".join(re.sub(r"(?m)^\s*#{1,6}\s+", "", text).split())
    lower = flat.lower()
    stem = relevance.STEM
    matched = [t for t in terms if re.search(rf"\b{re.escape(t[:stem])}", lower)]
    start = 0
    if matched:
        found = re.search(rf"\b{re.escape(matched[0][:stem])}", lower)
        if found:
            start = max(0, found.start() - SNIPPET_CHARS // 3)
            space = flat.rfind(" ", 0, start)
            start = space + 1 if start and space >= 0 else start
    end = min(len(flat), start + SNIPPET_CHARS)
    if end < len(flat):
        space = flat.rfind(" ", start, end)
        end = space if space > start else end
    snippet = flat[start:end]
    return ("…" if start else "") + snippet + ("…" if end < len(flat) else ""), matched
