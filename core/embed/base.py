"""The Embedder protocol every provider implements, and the query it embeds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from core.errors import LociError
from core.model import MediaPart, Piece

# How a query is meant, which picks the task prefix for providers that use one.
SEARCH = "search result"
QUESTION = "question answering"
FACT = "fact checking"
CODE = "code retrieval"
SIMILARITY = "sentence similarity"  # symmetric: recall between memories
CLUSTERING = "clustering"
CLASSIFICATION = "classification"
SYMMETRIC_TASKS = (SIMILARITY, CLUSTERING, CLASSIFICATION)


@dataclass
class Query:
    """What the user asks with: text, media (a dropped photo, a file), or both."""

    text: str = ""
    media: list[MediaPart] = field(default_factory=list)
    task: str = SEARCH


class EmbedError(LociError):
    """An embedding failed. ``transient`` errors (network, rate limit) leave files pending."""

    def __init__(
        self, message: str, *, transient: bool = False, fatal: bool = False, offline: bool = False
    ) -> None:
        super().__init__(message)
        self.transient = transient or offline
        # fatal: no point trying other files (bad API key); stop the run with this message.
        self.fatal = fatal
        # offline: the network stayed dead through every retry; stop the run early and
        # leave the files that are left pending for the next one.
        self.offline = offline


@runtime_checkable
class Embedder(Protocol):
    """Turns pieces and queries into unit-length float32 vectors of one space."""

    provider: str
    model_id: str
    dims: int
    modalities: frozenset[str]
    # Below this dot product a hit is "no good match" (depends on the model's geometry).
    score_floor: float

    @property
    def recall_floor(self) -> float:
        """The floor for recall (a memory against memories): higher for some models."""
        ...

    @property
    def photo_recall_floor(self) -> float:
        """The recall floor between a photo and a memory of another kind (a note, a page)."""
        ...

    def embed_documents(self, pieces: Sequence[Piece]) -> np.ndarray:
        """Return float32[len(pieces), dims], rows L2-normalised."""
        ...

    def embed_query(self, query: Query) -> np.ndarray:
        """Return float32[dims], L2-normalised."""
        ...


# What some providers offer beyond the Embedder protocol; the indexer asks with isinstance.


@runtime_checkable
class EmbedsEach(Protocol):
    """One vector or one error per piece: a piece's failure fails only its own file."""

    def embed_each(self, pieces: Sequence[Piece]) -> list[np.ndarray | EmbedError]: ...


@runtime_checkable
class Priced(Protocol):
    """A paid provider: the estimated dollars of embedding one piece."""

    def price_of(self, piece: Piece) -> float: ...


@runtime_checkable
class GoesOffline(Protocol):
    """A network provider that remembers a dead network for the rest of a run."""

    def reset_offline(self) -> None: ...


@runtime_checkable
class CountsUsage(Protocol):
    """A provider that reports the tokens it was sent (summed over its lifetime)."""

    usage_tokens: int


@runtime_checkable
class PrefersBatch(Protocol):
    """A provider that wants this many pieces per embedding round."""

    preferred_batch: int


@runtime_checkable
class BatchMode(Protocol):
    """A provider with a batch mode: jobs submitted now, collected later (core.batch)."""

    def submit_batch(self, items: Sequence[tuple[str, Piece]]) -> list[dict[str, Any]]: ...

    def delete_files(self, names: Sequence[str]) -> None: ...


def normalise(rows: np.ndarray) -> np.ndarray:
    """L2-normalise rows (or one vector) in float32; zero rows stay zero."""
    rows = np.asarray(rows, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=-1, keepdims=True)
    norms[norms == 0] = 1.0
    return (rows / norms).astype(np.float32, copy=False)
