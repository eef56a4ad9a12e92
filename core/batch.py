"""Bulk indexing through a provider's batch API (Gemini: half the price, slower).

``submit`` extracts what a normal run would embed and sends it as one batch job; the job's
name and what it covers are kept in the index's state file, so a restart resumes polling.
``resume`` polls; when the job is done, a normal index run ingests its vectors (pieces
are matched by content, so a file edited meanwhile is simply embedded online).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from core.embed.base import EmbedError, Query
from core.extract import ExtractError, extract
from core.model import Piece

STATE_KEY = "batch_job"


def piece_key(piece: Piece) -> str:
    raw = json.dumps([piece.title, piece.text, piece.locator, piece.mime], ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def pending_job(engine: Any) -> dict[str, Any] | None:
    job = engine.store.read_state().get(STATE_KEY)
    return job if isinstance(job, dict) else None


def submit(engine: Any, roots: Sequence[Path]) -> dict[str, Any] | None:
    """Send what needs embedding as one batch job; None when there is nothing to send."""
    if not hasattr(engine.embedder, "submit_batch"):
        raise EmbedError(f"the {engine.embedder.provider} provider has no batch mode")
    indexer = engine.indexer()
    todo, _gone, _errors, _known, _report = indexer.plan(roots)
    pieces: list[Piece] = []
    for entry in todo:
        if indexer._keyword_only(entry.key):
            continue
        try:
            pieces.extend(p for p in extract(entry.path, indexer.readers) if p.embed)
        except ExtractError:
            continue  # the ingesting run records the error
    if not pieces:
        return None
    name = engine.embedder.submit_batch(pieces)
    job = {
        "name": name,
        "keys": [piece_key(p) for p in pieces],
        "files": len(todo),
        "submitted": time.time(),
    }
    engine.store.update_state(**{STATE_KEY: job})
    return job


def poll(engine: Any, job: dict[str, Any]) -> np.ndarray | None:
    """The job's vectors once done; None while it runs. A failed job is forgotten."""
    try:
        vectors = engine.embedder.poll_batch(job["name"])
    except EmbedError:
        engine.store.update_state(**{STATE_KEY: None})
        raise
    return vectors


def ingest(engine: Any, job: dict[str, Any], vectors: np.ndarray, roots: Sequence[Path]) -> Any:
    """Run a normal index pass that takes the job's vectors instead of calling the API."""
    known = dict(zip(job["keys"], vectors, strict=False))
    original = engine.embedder
    engine.embedder = Precomputed(original, known)
    try:
        report = yield from engine.index(roots)
    finally:
        engine.embedder = original
    engine.store.update_state(**{STATE_KEY: None})
    return report


class Precomputed:
    """An embedder that answers from a batch job's vectors, and online for anything else."""

    def __init__(self, inner: Any, vectors: dict[str, np.ndarray]) -> None:
        self._inner = inner
        self._vectors = vectors
        self.online = 0  # pieces that were not in the job (edited since) and went online

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def embed_each(self, pieces: Sequence[Piece]) -> list[np.ndarray | EmbedError]:
        out: list[np.ndarray | EmbedError | None] = [
            self._vectors.get(piece_key(p)) for p in pieces
        ]
        missing = [i for i, v in enumerate(out) if v is None]
        if missing:
            self.online += len(missing)
            fresh = self._inner.embed_each([pieces[i] for i in missing])
            for i, v in zip(missing, fresh, strict=True):
                out[i] = v
        return [v for v in out if v is not None]

    def embed_documents(self, pieces: Sequence[Piece]) -> np.ndarray:
        vectors: list[np.ndarray] = []
        for r in self.embed_each(pieces):
            if isinstance(r, EmbedError):
                raise r
            vectors.append(r)
        return np.stack(vectors) if vectors else np.zeros((0, self._inner.dims), np.float32)

    def embed_query(self, query: Query) -> np.ndarray:
        return self._inner.embed_query(query)
