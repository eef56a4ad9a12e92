"""The cloud provider: Google's ``gemini-embedding-2`` through the ``google-genai`` SDK.

One embedding space for text, images, PDFs, audio and video. Each piece becomes ONE
``Content`` (its prefixed text and its media parts, interleaved) and so one vector; a
plain list of strings or parts would be merged by this model into a single vector
(GEMINI_API.md). Calls carry at most 100 Contents, run a few at a time, and are retried
on rate limits, server errors and network faults. A piece the service rejects fails
alone: a rejected batch is retried in halves to find it.

This module is the provider itself: planning calls, sending them, and matching vectors
to pieces. Its other jobs live beside it, one a module: the task prefixes and token
budget (``gemini_prefixes``), retries and the quota gate (``gemini_retry``), media types
and transcoding (``gemini_media``), the Files API (``gemini_files``) and the Batch API
(``gemini_batch``); the key comes from ``core.secrets``.

The SDK is imported lazily, on the first call, so creating the provider is cheap.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from core.embed.base import EmbedError, Query, normalise
from core.embed.gemini_batch import BATCH_FILE_LIMIT, Batches, BatchResult
from core.embed.gemini_files import Files
from core.embed.gemini_media import INLINE_LIMIT, choose_uploads, content_parts, linked, part_size
from core.embed.gemini_prefixes import fit_text, prefixed
from core.embed.gemini_retry import Endpoint, Gate, Rejected, Retrying, transport_errors
from core.model import Piece
from core.secrets import resolve_api_key

if TYPE_CHECKING:
    from google import genai
    from google.genai import types

log = logging.getLogger(__name__)

MODEL_ID = "gemini-embedding-2"
DEFAULT_DIMS = 768
MIN_DIMS, MAX_DIMS = 128, 3072
MAX_BATCH = 100  # the service's limit of requests per batchEmbedContents call
NO_KEY = "No Gemini API key — set GEMINI_API_KEY or choose the local model"

T = TypeVar("T")

__all__ = [
    "DEFAULT_DIMS",
    "MAX_BATCH",
    "MAX_DIMS",
    "MIN_DIMS",
    "MODEL_ID",
    "NO_KEY",
    "BatchResult",
    "GeminiEmbedder",
    "PieceError",
]


class PieceError(EmbedError):
    """An :class:`EmbedError` for one piece; ``index`` is its position in the call."""

    def __init__(
        self, message: str, *, index: int, transient: bool = False, fatal: bool = False
    ) -> None:
        super().__init__(message, transient=transient, fatal=fatal)
        self.index = index

    @classmethod
    def at(cls, index: int, error: EmbedError) -> PieceError:
        made = cls(str(error), index=index, transient=error.transient, fatal=error.fatal)
        made.offline = error.offline
        return made


@dataclass
class _Abort:
    """Set by the first call that fails for every piece (bad key, network down)."""

    error: EmbedError | None = None


# --- the provider -----------------------------------------------------------------------


class GeminiEmbedder:
    """Embeds pieces and queries with gemini-embedding-2; every vector unit length.

    Args:
        api_key: the key; otherwise ``GEMINI_API_KEY``, ``GOOGLE_API_KEY`` or the keyring.
        base_url: another endpoint (a proxy, or the test server); None: the SDK's default.
        api_version: set explicitly because SDK 3.x defaults to ``v1``.
        dims: output dimensionality, 128..3072 (768, 1536, 3072 recommended).
        model: the embedding model.
        concurrency: calls in flight at once.
        batch_size: Contents per call, at most 100.
        timeout_s: per HTTP request.
        attempts: tries per call for rate limits, 5xx and network faults.
        backoff_s, max_backoff_s: the first retry delay and the cap; delays double with
            jitter.
        inline_limit: raw media bytes one call carries inline; larger media are uploaded.
        file_poll_s, file_timeout_s: how often and how long to wait for an upload to
            become ACTIVE.
        score_floor: overrides :attr:`score_floor`.
        sleep: waits between retries and polls (tests pass a recorder).
        batch_file_limit: bytes of one batch job's input file; more makes more jobs.
    """

    provider = "gemini"
    modalities = frozenset({"text", "image", "pdf", "audio", "video"})
    # Provisional: not yet calibrated against the real service. One floor serves
    # text-to-text and cross-modal matches, and a text query for a photo scores lower than
    # a paraphrase does, so it errs towards showing a weak match over hiding a real one.
    # Calibrate on a small labelled set (related / unrelated pairs per modality).
    score_floor = 0.35

    @property
    def recall_floor(self) -> float:
        """Recall keeps to the search floor until it is calibrated on its own."""
        return self.score_floor

    @property
    def photo_recall_floor(self) -> float:
        return self.score_floor

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        api_version: str = "v1beta",
        dims: int = DEFAULT_DIMS,
        model: str = MODEL_ID,
        concurrency: int = 4,
        batch_size: int = MAX_BATCH,
        timeout_s: float = 60.0,
        attempts: int = 5,
        backoff_s: float = 1.0,
        max_backoff_s: float = 30.0,
        inline_limit: int = INLINE_LIMIT,
        file_poll_s: float = 2.0,
        file_timeout_s: float = 600.0,
        score_floor: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        batch_file_limit: int = BATCH_FILE_LIMIT,
    ) -> None:
        if not MIN_DIMS <= dims <= MAX_DIMS:
            raise ValueError(f"dims must be within {MIN_DIMS}..{MAX_DIMS}, not {dims}")
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be within 1..{MAX_BATCH}, not {batch_size}")
        if concurrency < 1 or attempts < 1:
            raise ValueError("concurrency and attempts must be at least 1")
        self.model_id = model.removeprefix("models/")
        self.dims = dims
        if score_floor is not None:
            self.score_floor = score_floor
        self._api_key = api_key
        self._base_url = base_url or None
        self._api_version = api_version
        self._concurrency = concurrency
        self._batch_size = batch_size
        # The indexer hands over this many pieces at once so that every worker has a call.
        self.preferred_batch = batch_size * concurrency
        self._timeout_s = timeout_s
        self._inline_limit = inline_limit
        self._sdk: genai.Client | None = None
        self._lock = threading.Lock()
        # Calls in flight adapt to the quota: halved on a 429, crept back up on success.
        self.gate = Gate(concurrency, sleep)
        self._retry = Retrying(self.model_id, self.gate, attempts, backoff_s, max_backoff_s, sleep)
        self._files = Files(self._retry.call, file_poll_s, file_timeout_s, sleep)
        self._batches = Batches(
            self.model_id,
            dims,
            self._client,
            self._retry.call,
            self._files,
            self._document_parts,
            batch_file_limit,
        )
        self.usage_tokens = 0  # prompt tokens the service reported, summed
        self.calls = 0  # pieces embedded
        self.requests = 0  # embedding calls made (retries included)

    def __repr__(self) -> str:  # never the key
        return f"GeminiEmbedder(model={self.model_id!r}, dims={self.dims})"

    # --- public API ---------------------------------------------------------------------

    def embed_documents(self, pieces: Sequence[Piece]) -> np.ndarray:
        """Return float32[len(pieces), dims], rows L2-normalised.

        Raises:
            PieceError: for the first piece that failed (a fatal one first); its
                ``index`` names the piece. Use :meth:`embed_each` to keep the others.
        """
        results = self.embed_each(pieces)
        errors = [r for r in results if isinstance(r, EmbedError)]
        if errors:
            raise next((e for e in errors if e.fatal), errors[0])
        if not results:
            return np.zeros((0, self.dims), dtype=np.float32)
        return np.stack([r for r in results if isinstance(r, np.ndarray)])

    def embed_each(self, pieces: Sequence[Piece]) -> list[np.ndarray | EmbedError]:
        """One result per piece, in order: its unit vector, or the :class:`PieceError` it got.

        Never raises for a piece's failure: a bad piece fails alone, a rejected key or a
        dead network comes back (``fatal`` / ``transient``) for every piece it stopped.
        """
        if not pieces:
            return []
        groups = self._plan(pieces)
        abort = _Abort()

        def run(group: list[int]) -> list[np.ndarray | EmbedError]:
            return self._embed_group(pieces, group, abort)

        if len(groups) == 1 or self._concurrency == 1:
            outcomes = [run(g) for g in groups]
        else:
            with ThreadPoolExecutor(self._concurrency, thread_name_prefix="gemini") as pool:
                outcomes = list(pool.map(run, groups))
        results: list[np.ndarray | EmbedError] = [np.zeros(0)] * len(pieces)
        for group, outcome in zip(groups, outcomes, strict=True):
            for index, result in zip(group, outcome, strict=True):
                results[index] = (
                    PieceError.at(index, result) if isinstance(result, EmbedError) else result
                )
        return results

    def embed_query(self, query: Query) -> np.ndarray:
        """Return float32[dims], L2-normalised: text, media or both as ONE Content.

        Raises:
            EmbedError: the query could not be embedded (``fatal`` for a bad key).
            ValueError: for an unknown ``query.task``.
        """
        text = prefixed(fit_text(query.text), "query", query.task) if query.text else None
        if text is None and not query.media:
            raise EmbedError("nothing to search for: the query has no text and no media")
        client = self._client()
        parts, uploaded = content_parts(client, text, query.media, self._files, self._inline_limit)
        try:
            result = self._send(client, [parts], _Abort())[0]
        finally:
            self._files.delete(client, uploaded)
        if isinstance(result, EmbedError):
            raise result
        return result

    def submit_batch(
        self, items: Sequence[tuple[str, Piece]], display_name: str = "loci-index"
    ) -> list[dict[str, Any]]:
        """Start Batch API jobs (half price, slower) for keyed pieces; one record per job.

        See :meth:`core.embed.gemini_batch.Batches.submit`: requests go under their keys
        in uploaded JSON Lines files, so results are matched to pieces by key.

        Returns:
            ``[{"name": job, "cleanup": [uploaded file names], "keys": [its keys]}]``.

        Raises:
            EmbedError: no job could be created (files uploaded for it are deleted).
        """
        return self._batches.submit(items, display_name)

    def poll_batch(self, job_name: str) -> BatchResult | None:
        """None while the job runs; once it has ended, what it returned, by key.

        See :meth:`core.embed.gemini_batch.Batches.poll` for failed, cancelled and expired
        jobs and for results without a usable vector.

        Raises:
            EmbedError: the job could not be read (transient while the network is down).
        """
        result = self._batches.poll(job_name)
        if result is not None:
            with self._lock:
                self.calls += len(result.vectors)
        return result

    def delete_files(self, names: Sequence[str]) -> None:
        """Delete uploaded files (a collected batch job's inputs); failures are ignored."""
        if names:
            self._files.delete(self._client(), names)

    def price_of(self, piece: Piece) -> float:
        """Estimated dollars to embed ``piece`` online (core.cost's list prices)."""
        from core.cost import piece_cost

        return piece_cost(piece)

    def close(self) -> None:
        """Close the SDK's HTTP connections."""
        with self._lock:
            sdk, self._sdk = self._sdk, None
        if sdk is not None:
            sdk.close()

    # --- the SDK client -----------------------------------------------------------------

    def _client(self) -> genai.Client:
        with self._lock:
            if self._sdk is None:
                key = resolve_api_key(self._api_key)
                if not key:
                    raise EmbedError(NO_KEY, fatal=True)
                from google import genai
                from google.genai import types

                options = types.HttpOptions(
                    api_version=self._api_version,
                    timeout=int(self._timeout_s * 1000),  # milliseconds
                    base_url=self._base_url,
                )
                self._sdk = genai.Client(api_key=key, http_options=options)
                self._retry.transport = transport_errors()
            return self._sdk

    def _call(
        self, request: Callable[[], T], endpoint: Endpoint = "embed", bulk: bool = False
    ) -> T:
        """One API request with retries (:meth:`core.embed.gemini_retry.Retrying.call`)."""
        return self._retry.call(request, endpoint, bulk)

    def reset_offline(self) -> None:
        """Forget a dead network (a new run, or the user asked to retry)."""
        self._retry.offline = None

    # --- documents ----------------------------------------------------------------------

    @staticmethod
    def _document_text(piece: Piece) -> str:
        return prefixed(fit_text(piece.embed_text or piece.text), "document", title=piece.title)

    def _document_parts(
        self, client: genai.Client, piece: Piece
    ) -> tuple[list[types.Part], list[str]]:
        """A piece's prefixed text and media as the parts of its Content, and its uploads."""
        text = self._document_text(piece)
        return content_parts(
            client, text, piece.media, self._files, self._inline_limit, optional_media=linked(piece)
        )

    def _plan(self, pieces: Sequence[Piece]) -> list[list[int]]:
        """Group piece indices into calls: ≤ batch_size each, inline media within the limit."""
        groups: list[list[int]] = []
        group: list[int] = []
        load = 0
        for index, piece in enumerate(pieces):
            sizes = [part_size(m) for m in piece.media]
            uploads = choose_uploads(sizes, self._inline_limit)
            inline = sum(s for i, s in enumerate(sizes) if i not in uploads) + len(piece.text)
            if group and (len(group) >= self._batch_size or load + inline > self._inline_limit):
                groups.append(group)
                group, load = [], 0
            group.append(index)
            load += inline
        if group:
            groups.append(group)
        return groups

    def _embed_group(
        self, pieces: Sequence[Piece], group: list[int], abort: _Abort
    ) -> list[np.ndarray | EmbedError]:
        if abort.error is not None:
            return [abort.error] * len(group)
        try:
            client = self._client()
        except EmbedError as exc:
            abort.error = exc
            return [exc] * len(group)
        results: list[np.ndarray | EmbedError] = []
        ready: list[tuple[int, list[types.Part]]] = []
        uploaded: list[str] = []
        try:
            for slot, index in enumerate(group):
                piece = pieces[index]
                try:
                    parts, files = self._document_parts(client, piece)
                except EmbedError as exc:
                    if exc.fatal or exc.transient:
                        abort.error = abort.error or exc
                    results.append(exc)
                    continue
                uploaded.extend(files)
                ready.append((slot, parts))
                results.append(np.zeros(0))  # filled in below
            if ready:
                sent = self._send(client, [parts for _, parts in ready], abort, bulk=True)
                for (slot, _), result in zip(ready, sent, strict=True):
                    results[slot] = result
        finally:
            self._files.delete(client, uploaded)
        return results

    def _send(
        self,
        client: genai.Client,
        contents: list[list[types.Part]],
        abort: _Abort,
        bulk: bool = False,
    ) -> list[np.ndarray | EmbedError]:
        """Embed Contents in one call; on a refusal, one by one so only the bad one fails."""
        from google.genai import types

        if abort.error is not None:
            return [abort.error] * len(contents)
        config = types.EmbedContentConfig(output_dimensionality=self.dims)
        batch = [types.Content(parts=parts) for parts in contents]

        def request() -> types.EmbedContentResponse:
            with self._lock:
                self.requests += 1
            with self.gate:
                return client.models.embed_content(
                    model=self.model_id, contents=batch, config=config
                )

        try:
            response = self._call(request, bulk=bulk)
        except Rejected as exc:
            if len(contents) == 1:
                return [EmbedError(str(exc))]
            # Halve it: a bad piece is found in log2(n) more calls, not n.
            half = len(contents) // 2
            log.info("Gemini refused a batch of %d; retrying it in halves", len(batch))
            return self._send(client, contents[:half], abort, bulk) + self._send(
                client, contents[half:], abort, bulk
            )
        except EmbedError as exc:
            abort.error = abort.error or exc
            return [exc] * len(contents)
        embeddings = response.embeddings or []
        values = [e.values or [] for e in embeddings]
        if len(values) != len(batch) or any(len(v) != self.dims for v in values):
            # The SDK does not check this; a short answer would shift vectors onto the
            # wrong pieces.
            error = EmbedError(
                f"Gemini returned {len(values)} embeddings for {len(batch)} pieces "
                f"(dims {sorted({len(v) for v in values})}, expected {self.dims})",
                transient=True,
            )
            return [error] * len(contents)
        usage = response.usage_metadata
        with self._lock:
            if usage is not None:
                self.usage_tokens += usage.prompt_token_count or usage.total_token_count or 0
            self.calls += len(batch)
        return list(self._rows(values))

    def _rows(self, values: Sequence[Sequence[float]]) -> np.ndarray:
        return normalise(np.asarray(values, dtype=np.float32).reshape(len(values), self.dims))
