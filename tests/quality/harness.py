"""Index an evaluation folder with the real engine and score its rankings.

Embeddings of a corpus are cached on disk between runs (``.cache/quality/``, git-ignored),
keyed by the model and a hash of the exact text embedded, so a second run embeds nothing new.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.app import Engine
from core.config import Settings
from core.embed.base import Query
from core.embed.local import LocalEmbedder, document_text
from core.model import Piece
from core.scan import path_key
from core.search import COMBINED, KEYWORD, VECTOR

MODES = (VECTOR, KEYWORD, COMBINED)


class CachedEmbedder(LocalEmbedder):
    """The local model, with document vectors remembered on disk by text hash."""

    def __init__(self, cache: Path) -> None:
        super().__init__()
        self.file = cache / f"{self.model_id}.npz"
        self.vectors: dict[str, np.ndarray] = {}
        if self.file.exists():
            with np.load(self.file) as data:
                self.vectors = {k: data[k] for k in data.files}
        self.dirty = False

    def _encode_documents(self, pieces: Sequence[Piece]) -> np.ndarray:
        keys = [hashlib.sha256(document_text(p).encode()).hexdigest()[:24] for p in pieces]
        todo = [i for i, k in enumerate(keys) if k not in self.vectors]
        if todo:
            fresh = super()._encode_documents([pieces[i] for i in todo])
            for i, vec in zip(todo, fresh, strict=True):
                self.vectors[keys[i]] = vec
            self.dirty = True
        if not pieces:
            return np.zeros((0, self.dims), dtype=np.float32)
        return np.stack([self.vectors[k] for k in keys])

    def save(self) -> None:
        if self.dirty:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.file.with_suffix(".tmp.npz")
            np.savez(tmp, **self.vectors)
            tmp.replace(self.file)
            self.dirty = False


def open_engine(root: Path, data: Path, embedder: CachedEmbedder) -> Engine:
    engine = Engine(Settings(folders=[str(root)]), data=data, embedder=embedder)
    for _ in engine.index():
        pass
    embedder.save()
    return engine


@dataclass
class Scores:
    """One set × one ranking mode."""

    ranks: list[float] = field(default_factory=list)  # 1-based rank of the first answer, inf
    answered_empty: int = 0  # answerable queries the floor turned into "no good match"
    answerable: int = 0
    unanswerable: int = 0
    false_matches: int = 0  # unanswerable queries that still listed something

    def hit(self, k: int) -> float:
        return sum(r <= k for r in self.ranks) / max(1, len(self.ranks))

    def mrr(self, k: int = 10) -> float:
        return sum(1 / r for r in self.ranks if r <= k) / max(1, len(self.ranks))

    def row(self) -> list[str]:
        fm = f"{self.false_matches}/{self.unanswerable}" if self.unanswerable else "-"
        fn = f"{self.answered_empty}/{self.answerable}"
        return [f"{self.hit(1):.2f}", f"{self.hit(5):.2f}", f"{self.mrr():.2f}", fm, fn]


def evaluate(
    engine: Engine,
    root: Path,
    answerable: Sequence[tuple[str, frozenset[str]]],
    unanswerable: Sequence[tuple[str, frozenset[str]]] = (),
    owners: dict[str, list[str]] | None = None,
    modes: Sequence[str] = MODES,
    misses: list[str] | None = None,
) -> dict[str, Scores]:
    """Rank every query in every mode; the answers are paths relative to ``root`` (or, with
    ``owners``, names that map to several files)."""
    searcher = engine.searcher()
    out = {m: Scores() for m in modes}
    prefix = path_key(str(root)).rstrip("/") + "/"
    for text, answers in [*answerable, *unanswerable]:
        wanted = (
            {f for a in answers for f in owners.get(a, [])} if owners is not None else set(answers)
        )
        q = searcher.query_vector(text)
        for mode in modes:
            s = out[mode]
            if answers:
                ranked = searcher.search_vector(
                    q, keywords=text, limit=10, floor=-math.inf, mode=mode
                )
                got = [h.path.removeprefix(prefix) for h in ranked]
                rank = next((i + 1 for i, p in enumerate(got) if p in wanted), math.inf)
                s.ranks.append(rank)
                s.answerable += 1
                if misses is not None and mode == COMBINED and rank > 1:
                    misses.append(f"  #{rank} {text!r}: top {got[:3]}")
            shown = searcher.search_vector(q, keywords=text, limit=10, mode=mode)
            if answers:
                s.answered_empty += not shown
            else:
                s.unanswerable += 1
                s.false_matches += bool(shown)
                if misses is not None and mode == COMBINED and shown:
                    top = [(h.path.removeprefix(prefix), round(h.score, 3)) for h in shown[:2]]
                    misses.append(f"  false match {text!r}: {top}")
    return out


def evaluate_recall(
    engine: Engine,
    root: Path,
    sources: Sequence[tuple[str, frozenset[str]]],
    misses: list[str] | None = None,
) -> Scores:
    """Recall from each source memory (a path relative to ``root``), as the app's panel and
    ``loci recall`` do; the answers are the memories about the same subject."""
    searcher = engine.searcher()
    prefix = path_key(str(root)).rstrip("/") + "/"
    s = Scores()
    for source, answers in sources:
        key = prefix + source
        ranked = searcher.recall(path=key, limit=10, floor=-math.inf)
        got = [h.path.removeprefix(prefix) for h in ranked]
        rank = next((i + 1 for i, p in enumerate(got) if p in answers), math.inf)
        s.ranks.append(rank)
        s.answerable += 1
        shown = {h.path.removeprefix(prefix) for h in searcher.recall(path=key, limit=10)}
        s.answered_empty += not shown & answers  # the panel's floor hid every answer
        if misses is not None and rank > 1:
            misses.append(f"  #{rank} recall from {source!r}: top {got[:3]}")
    return s


def best_scores(engine: Engine, texts: Sequence[str]) -> list[float]:
    """The top combined score of each query with the floor off (for calibrating it)."""
    searcher = engine.searcher()
    out = []
    for text in texts:
        hits = searcher.search_vector(
            searcher.embedder.embed_query(Query(text=text)),
            keywords=text,
            limit=1,
            floor=-math.inf,
        )
        out.append(hits[0].score if hits else 0.0)
    return out
