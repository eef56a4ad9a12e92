"""The Embedder protocol every provider implements, and the query it embeds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

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

    def embed_documents(self, pieces: Sequence[Piece]) -> np.ndarray:
        """Return float32[len(pieces), dims], rows L2-normalised."""
        ...

    def embed_query(self, query: Query) -> np.ndarray:
        """Return float32[dims], L2-normalised."""
        ...


def normalise(rows: np.ndarray) -> np.ndarray:
    """L2-normalise rows (or one vector) in float32; zero rows stay zero."""
    rows = np.asarray(rows, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=-1, keepdims=True)
    norms[norms == 0] = 1.0
    return (rows / norms).astype(np.float32, copy=False)
