"""Bulk indexing through a provider's batch API (Gemini: half the price, slower).

``submit`` extracts what a normal run would embed and sends it as batch jobs, every
request under a key computed from the piece's content (its text, title, place in the
file, and the bytes of its media). The jobs and the keys they carry are kept in the
index's state file, so a later process resumes polling. ``ingest`` runs a normal index
pass that takes a vector only where a result came back under the key of the piece being
stored: nothing is matched by position, so a result that is missing, failed or belongs
to a file edited meanwhile can never land on another piece. A piece of the job without a
usable result leaves its file pending with the reason; a piece that was not in any job
(edited or added since) is embedded online.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from core.cost import Budget, piece_cost, pieces_cost
from core.embed.base import (
    BatchMode,
    CountsUsage,
    Embedder,
    EmbedError,
    EmbedsEach,
    GoesOffline,
    PrefersBatch,
    Priced,
    Query,
)
from core.extract import ExtractError, extract
from core.model import Piece, Progress

STATE_KEY = "batch_job"


def piece_key(piece: Piece) -> str:
    """A key that changes whenever what would be embedded changes, media bytes included."""
    h = hashlib.sha256()
    raw = json.dumps([piece.title, piece.text, piece.locator, piece.mime], ensure_ascii=False)
    h.update(raw.encode("utf-8", "surrogatepass"))
    for part in piece.media:
        h.update(b"\0" + part.mime.encode())
        try:
            h.update(hashlib.sha256(part.read()).digest())
        except OSError:
            h.update(b"unreadable")  # embedding it fails anyway, and records why
    return h.hexdigest()


def pending_job(engine: Any) -> dict[str, Any] | None:
    """The batch submission waiting to be collected, in the current format, or None."""
    job = engine.store.read_state().get(STATE_KEY)
    if not isinstance(job, dict):
        return None
    if "jobs" not in job and "name" in job:
        # A job from before keyed results: its results cannot be matched to pieces, so
        # none is used; collecting it leaves its files pending for an online run.
        job = {**job, "jobs": [{"name": job["name"], "cleanup": [], "keys": job.get("keys", [])}]}
        job["legacy"] = True
    return job


def job_keys(job: dict[str, Any]) -> list[str]:
    return [k for j in job.get("jobs", []) for k in j.get("keys", [])]


def submit(engine: Any, roots: Sequence[Path]) -> dict[str, Any] | None:
    """Send what needs embedding as batch jobs; None when there is nothing to send."""
    if not isinstance(engine.embedder, BatchMode):
        raise EmbedError(f"the {engine.embedder.provider} provider has no batch mode")
    indexer = engine.indexer()
    todo, _gone, _errors, _known, _report = indexer.plan(roots)
    items: dict[str, Piece] = {}
    budget = indexer.budget if indexer.budget is not None and indexer.budget.limit > 0 else None
    if budget is not None:
        budget.spent = float(engine.store.read_state().get("spent_usd", 0.0))
    committed, over = 0.0, False
    for entry in todo:
        if indexer._keyword_only(entry.key):
            continue
        try:
            pieces = [p for p in extract(entry.path, indexer.readers) if p.embed]
        except ExtractError:
            continue  # the ingesting run records the error
        indexer._guard_media(pieces)  # the same media a normal run would send, no more
        keyed = {piece_key(p): p for p in pieces}
        fresh = {k: p for k, p in keyed.items() if k not in items}
        cost = pieces_cost(fresh.values(), batch=True)
        if budget is not None and not budget.allows(committed + cost):
            over = True
            break  # the rest waits for more budget; the ingesting run leaves it pending
        committed += cost
        items.update(fresh)  # identical pieces share one request
    if not items:
        if over:
            raise EmbedError(_over_budget(budget))
        return None
    jobs = engine.embedder.submit_batch(list(items.items()))
    job = {
        "jobs": jobs,
        "files": len(todo),
        "submitted": time.time(),
        "cost_usd": round(committed, 6),
        "over_budget": over,
    }
    engine.store.update_state(**{STATE_KEY: job})
    return job


def poll(engine: Any, job: dict[str, Any]) -> Collected | None:
    """Every job's results once all have ended; None while any is still running."""
    results = [engine.embedder.poll_batch(sub["name"]) for sub in job["jobs"]]
    if any(r is None for r in results):
        return None
    collected = Collected(set(job_keys(job)))
    for result in results:
        if job.get("legacy"):
            continue
        collected.vectors.update(result.vectors)
        collected.errors.update(result.errors)
        if result.ended:
            collected.ended.append(result.ended)
    return collected


class Collected:
    """The vectors a submission returned, by key, and why the others did not come back."""

    def __init__(self, submitted: set[str]) -> None:
        self.submitted = submitted
        self.vectors: dict[str, np.ndarray] = {}
        self.errors: dict[str, str] = {}
        self.ended: list[str] = []  # jobs that ended without results, and why

    @property
    def missing(self) -> int:
        return len(self.submitted - self.vectors.keys())

    def reason(self, key: str) -> str:
        if key in self.errors:
            return f"the batch job failed this piece: {self.errors[key]}"
        if self.ended:
            return self.ended[0]
        return "the batch job returned no result for this piece"


def ingest(
    engine: Any, job: dict[str, Any], collected: Collected, roots: Sequence[Path]
) -> Generator[Progress, None, Any]:
    """Run a normal index pass that takes the jobs' vectors instead of calling the API.

    The job is forgotten, and its uploaded files deleted, only once the pass has stored
    what it returned: a crash in between collects the same results again next time.
    """
    original = engine.embedder
    engine.embedder = Precomputed(original, collected)
    try:
        report = yield from engine.index(roots)
    finally:
        engine.embedder = original
    engine.store.update_state(**{STATE_KEY: None})
    cleanup = [n for sub in job["jobs"] for n in sub.get("cleanup", [])]
    if cleanup and isinstance(original, BatchMode):
        try:
            original.delete_files(cleanup)
        except EmbedError:
            pass  # the service expires uploads after 48 h anyway
    return report


class Precomputed:
    """An embedder that answers from a batch job's results by key, online for the rest.

    A piece whose key was submitted but came back without a vector gets a transient
    error (its file stays pending, the reason recorded); one that was never submitted
    (edited or added since) goes online.
    """

    def __init__(self, inner: Embedder, collected: Collected) -> None:
        self._inner = inner
        self._collected = collected
        self.online = 0  # pieces that were not in the job and went online
        # The inner provider's, said outright (no __getattr__): the indexer asks with
        # isinstance, which Python 3.12+ answers from the class and instance alone.
        self.provider, self.model_id, self.dims = inner.provider, inner.model_id, inner.dims
        self.modalities = inner.modalities
        self.score_floor, self.recall_floor = inner.score_floor, inner.recall_floor
        self.photo_recall_floor = inner.photo_recall_floor
        if isinstance(inner, PrefersBatch):
            self.preferred_batch = inner.preferred_batch

    def reset_offline(self) -> None:
        if isinstance(self._inner, GoesOffline):
            self._inner.reset_offline()

    @property
    def usage_tokens(self) -> int:
        return int(self._inner.usage_tokens or 0) if isinstance(self._inner, CountsUsage) else 0

    def embed_each(self, pieces: Sequence[Piece]) -> list[np.ndarray | EmbedError]:
        got = self._collected
        out: list[np.ndarray | EmbedError | None] = []
        fresh: list[int] = []
        for i, piece in enumerate(pieces):
            key = piece_key(piece)
            vector = got.vectors.get(key)
            if vector is not None:
                out.append(vector)
            elif key in got.submitted:
                out.append(EmbedError(got.reason(key) + "; left pending", transient=True))
            else:
                out.append(None)
                fresh.append(i)
        if fresh:
            self.online += len(fresh)
            answers = _online(self._inner, [pieces[i] for i in fresh])
            for i, v in zip(fresh, answers, strict=True):
                out[i] = v
        return [v for v in out if v is not None]

    def price_of(self, piece: Piece) -> float:
        """Half price for a piece the job embedded, nothing for one it failed."""
        key = piece_key(piece)
        if key in self._collected.vectors:
            return piece_cost(piece, batch=True)
        if key in self._collected.submitted:
            return 0.0
        return float(self._inner.price_of(piece)) if isinstance(self._inner, Priced) else 0.0

    def embed_documents(self, pieces: Sequence[Piece]) -> np.ndarray:
        vectors: list[np.ndarray] = []
        for r in self.embed_each(pieces):
            if isinstance(r, EmbedError):
                raise r
            vectors.append(r)
        return np.stack(vectors) if vectors else np.zeros((0, self._inner.dims), np.float32)

    def embed_query(self, query: Query) -> np.ndarray:
        return self._inner.embed_query(query)


def _online(inner: Any, pieces: list[Piece]) -> list[np.ndarray | EmbedError]:
    if isinstance(inner, EmbedsEach):
        return list(inner.embed_each(pieces))
    try:
        return list(inner.embed_documents(pieces))
    except EmbedError as exc:
        return [exc] * len(pieces)


def _over_budget(budget: Budget | None) -> str:
    limit = budget.limit if budget is not None else 0.0
    spent = budget.spent if budget is not None else 0.0
    return (
        f"budget of ${limit:.2f} reached (${spent:.2f} spent): nothing was submitted; "
        "raise budget_usd in the settings"
    )
