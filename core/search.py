"""Search and recall: exact dot-product ranking over the vector index (core/vectors.py).

The index holds every piece vector, kept in step with the store; a query costs one scan
of it (float32, or int8 with exact rescoring at scale) and a partial sort.
Vector hits are fused with full-text (BM25) hits by reciprocal rank fusion, grouped per
file, and cut at the embedder's score floor so that "no good match" is said honestly.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.embed.base import SEARCH, SIMILARITY, Embedder, Query, normalise
from core.extract import extract, kind_of
from core.model import Hit, MediaPart
from core.store import Store
from core.vectors import Snapshot, VectorIndex

RRF_K = 60
SNIPPET_CHARS = 240


@dataclass
class Filters:
    kinds: Sequence[str] = ()
    folder: str = ""
    since: float = 0.0  # modified at or after (epoch seconds)

    def active(self) -> bool:
        return bool(self.kinds or self.folder or self.since)


class Searcher:
    def __init__(self, store: Store, embedder: Embedder, vectors: VectorIndex) -> None:
        self.store = store
        self.embedder = embedder
        self.vectors = vectors

    # ---- queries ----

    def query_vector(
        self, text: str = "", files: Sequence[Path] = (), task: str = SEARCH
    ) -> np.ndarray:
        """One vector for text, files, or both (a dropped photo plus "at night")."""
        media: list[MediaPart] = []
        parts: list[np.ndarray] = []
        for f in files:
            kind = kind_of(f)
            if kind and kind in self.embedder.modalities and kind != "note":
                media.extend(p for piece in extract(f) for p in piece.media[:1])
            else:
                parts.append(self.file_vector(f))
        if media or (text and not parts):
            parts.insert(0, self.embedder.embed_query(Query(text=text, media=media, task=task)))
        elif text:
            parts.insert(0, self.embedder.embed_query(Query(text=text, task=task)))
        if not parts:
            raise ValueError("nothing to search with: give a query, a file, or both")
        return normalise(np.sum(parts, axis=0))

    def file_vector(self, path: Path) -> np.ndarray:
        """A file's meaning as one vector: its stored pieces if indexed, else embedded now."""
        snap = self.vectors.snap  # one consistent state for the whole call
        from core.scan import path_key

        key = path_key(os.path.abspath(path))
        if len(snap.ids) and (rows := np.flatnonzero(snap.paths == key)).size:
            return normalise(snap.vectors(rows).mean(axis=0))
        pieces = extract(Path(path))
        return normalise(self.embedder.embed_documents(pieces).mean(axis=0))

    def search(
        self,
        text: str = "",
        *,
        files: Sequence[Path] = (),
        filters: Filters | None = None,
        limit: int = 10,
        exclude_paths: Iterable[str] = (),
    ) -> list[Hit]:
        q = self.query_vector(text, files)
        return self.search_vector(
            q, keywords=text, filters=filters, limit=limit, exclude_paths=exclude_paths
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
    ) -> list[Hit]:
        snap = self.vectors.snap  # one consistent state for the whole call
        filters = filters or Filters()
        floor = self.embedder.score_floor if floor is None else floor
        mask = self.vectors.mask(filters, snap)
        excluded = set(exclude_paths)
        if excluded:
            keep = np.fromiter((p not in excluded for p in snap.paths), bool, len(snap.ids))
            mask = keep if mask is None else mask & keep
        depth = limit * 8 + 32
        rows, scores = self.vectors.rank(q, depth, mask, snap)
        fused: dict[int, float] = {}
        cosine: dict[int, float] = {}
        for rank, (row, score) in enumerate(zip(rows.tolist(), scores.tolist(), strict=True)):
            if not np.isfinite(score):
                break
            fused[row] = 1.0 / (RRF_K + rank)
            cosine[row] = score
        keyword_rows: set[int] = set()
        rank = 0
        for pid, _bm25 in self.store.keyword_search(keywords, depth):
            row = snap.row_of.get(pid)
            if row is None or (mask is not None and not mask[row]):
                continue
            keyword_rows.add(row)
            fused[row] = fused.get(row, 0.0) + 1.0 / (RRF_K + rank)
            cosine.setdefault(row, float(snap.vector(row) @ q))
            rank += 1
        best: dict[str, int] = {}
        for row in sorted(fused, key=fused.__getitem__, reverse=True):
            path = snap.paths[row]
            ok = cosine[row] >= floor or (
                row in keyword_rows
                # a keyword-only piece (local-only folder under a cloud provider) has no vector
                and (cosine[row] >= floor * 0.5 or not snap.vector(row).any())
            )
            if ok and path not in best:
                best[path] = row
            if len(best) >= limit:
                break
        return self._hits(snap, list(best.values()), cosine, keywords)

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
            key = ""
            q = self.query_vector(text, task=SIMILARITY)
        if floor is None:
            # Memory-to-memory scores run higher than query-to-memory ones for some models.
            floor = getattr(self.embedder, "recall_floor", self.embedder.score_floor)
        mask = snap.paths != key if key else None
        rows, scores = self.vectors.rank(q, limit * 8 + 32, mask, snap)
        best: dict[str, int] = {}
        cosine: dict[int, float] = {}
        for row, s in zip(rows.tolist(), scores.tolist(), strict=True):
            if s < floor:
                break
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


STOP = frozenset(
    "a an and are as at be by for from has have i in is it its me my of on or that the this "
    "to was were what when where which who why will with about der die das und ein eine".split()
)


def query_terms(text: str) -> list[str]:
    return [w for w in re.findall(r"\w+", text.lower()) if len(w) > 2 and w not in STOP]


def make_snippet(text: str, terms: Sequence[str]) -> tuple[str, list[str]]:
    """About SNIPPET_CHARS of ``text`` around the first query term found, and the terms found."""
    flat = " ".join(re.sub(r"(?m)^\s*#{1,6}\s+", "", text).split())
    lower = flat.lower()
    matched = [t for t in terms if re.search(rf"\b{re.escape(t[:5])}", lower)]
    start = 0
    if matched:
        found = re.search(rf"\b{re.escape(matched[0][:5])}", lower)
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
