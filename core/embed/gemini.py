"""The cloud provider: Google's ``gemini-embedding-2`` through the ``google-genai`` SDK.

One embedding space for text, images, PDFs, audio and video. Each piece becomes ONE
``Content`` (its prefixed text and its media parts, interleaved) and so one vector; a
plain list of strings or parts would be merged by this model into a single vector
(GEMINI_API.md). Calls carry at most 100 Contents, run a few at a time, and are retried
on rate limits, server errors and network faults. A piece the service rejects fails
alone: a rejected batch is retried one Content at a time to find it.

The SDK is imported lazily, on the first call, so creating the provider is cheap.
"""

from __future__ import annotations

import importlib
import io
import json
import logging
import math
import os
import random
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import numpy as np

from core.embed.base import (
    CODE,
    FACT,
    QUESTION,
    SEARCH,
    SYMMETRIC_TASKS,
    EmbedError,
    Query,
    normalise,
)
from core.model import MediaPart, Piece

if TYPE_CHECKING:
    from google import genai
    from google.genai import types

log = logging.getLogger(__name__)

MODEL_ID = "gemini-embedding-2"
DEFAULT_DIMS = 768
MIN_DIMS, MAX_DIMS = 128, 3072
MAX_BATCH = 100  # the service's limit of requests per batchEmbedContents call
MAX_TEXT_TOKENS = 8192
# Text is cut to this estimate, leaving slack for the estimate's error and the prefix.
TEXT_TOKEN_BUDGET = 7680
MAX_IMAGES = 6
# Raw media bytes inline in one call. The service takes ~20 MB per request; base64 adds
# a third, so 14 MiB of media is ~18.7 MiB on the wire. Beyond it, media go through the
# Files API.
INLINE_LIMIT = 14 * 1024 * 1024
BATCH_JOB_LIMIT = 20 * 1000 * 1000  # inline batch jobs: ~20 MB of request in total
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

KEYRING_SERVICE = "loci"
KEYRING_USER = "gemini-api-key"
KEY_REJECTED = "Gemini API key rejected — set GEMINI_API_KEY or choose the local model"
NO_KEY = "No Gemini API key — set GEMINI_API_KEY or choose the local model"

QUERY_TASKS = frozenset({SEARCH, QUESTION, FACT, CODE, *SYMMETRIC_TASKS})
IMAGE_TYPES = frozenset({"image/png", "image/jpeg"})
# What the model reads, with the spellings the Gemini API documents.
MEDIA_TYPES = IMAGE_TYPES | {"application/pdf", "audio/mp3", "audio/wav", "video/mp4", "video/mov"}
_MIME_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "audio/mpeg": "audio/mp3",
    "audio/mpeg3": "audio/mp3",
    "audio/x-mp3": "audio/mp3",
    "audio/x-mpeg": "audio/mp3",
    "audio/x-wav": "audio/wav",
    "audio/wave": "audio/wav",
    "audio/vnd.wave": "audio/wav",
    "video/quicktime": "video/mov",
    "video/x-quicktime": "video/mov",
}
# One of these per request (GEMINI_API.md); images are counted against MAX_IMAGES.
_ONE_PER_REQUEST = {"application/pdf": "PDF", "video/mp4": "video", "video/mov": "video"}

Side = Literal["query", "document"]
T = TypeVar("T")

__all__ = [
    "GeminiEmbedder",
    "PieceError",
    "delete_api_key",
    "estimate_tokens",
    "prefixed",
    "resolve_api_key",
    "store_api_key",
    "stored_api_key",
]


# --- task prefixes ----------------------------------------------------------------------


def prefixed(text: str, side: Side = "query", task: str = SEARCH, title: str = "") -> str:
    """The text with the task prefix gemini-embedding-2 expects; the one place they live.

    Documents read ``title: {title or "none"} | text: {text}``; queries read
    ``task: {task} | query: {text}``. Symmetric tasks (similarity, clustering,
    classification) use the query form on both sides.

    Raises:
        ValueError: for a task the model does not know.
    """
    if task not in QUERY_TASKS:
        raise ValueError(f"unknown embedding task {task!r}")
    if side == "document" and task not in SYMMETRIC_TASKS:
        return f"title: {title.strip() or 'none'} | text: {text}"
    return f"task: {task} | query: {text}"


def estimate_tokens(text: str) -> int:
    """A cheap upper-leaning token estimate: ~4 ASCII characters a token, 1 token otherwise.

    Four characters a token holds for English prose; scripts such as CJK run close to a
    token a character, so counting those one each keeps the estimate from undershooting.
    """
    ascii_chars = len(text.encode("ascii", "ignore"))
    return math.ceil(ascii_chars / 4) + (len(text) - ascii_chars)


def fit_text(text: str, budget: int = TEXT_TOKEN_BUDGET) -> str:
    """``text`` cut at the end so that its estimate fits ``budget`` tokens.

    Truncating rather than splitting keeps one vector per piece; extractors already chunk
    notes below the limit, so this only guards against an oversized piece.
    """
    if estimate_tokens(text) <= budget:
        return text
    lo, hi = 0, min(len(text), budget * 4)
    while lo < hi:  # the longest prefix that fits
        mid = (lo + hi + 1) // 2
        if estimate_tokens(text[:mid]) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo]


# --- the API key ------------------------------------------------------------------------


def stored_api_key() -> str | None:
    """The key saved in the system keyring, or None (also when there is no usable keyring)."""
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, KEYRING_USER) or None
    except Exception:  # noqa: BLE001 - no backend, no D-Bus, a locked store: all mean "no key"
        log.debug("system keyring unavailable; no stored Gemini key")
        return None


def store_api_key(key: str) -> bool:
    """Save the key in the system keyring; False when there is no usable keyring."""
    try:
        import keyring

        keyring.set_password(KEYRING_SERVICE, KEYRING_USER, key.strip())
        return True
    except Exception:  # noqa: BLE001 - the GUI then tells the user to use GEMINI_API_KEY
        log.warning("could not save the Gemini key: no usable system keyring")
        return False


def delete_api_key() -> bool:
    """Remove the saved key; False when none was saved or there is no usable keyring."""
    try:
        import keyring

        keyring.delete_password(KEYRING_SERVICE, KEYRING_USER)
        return True
    except Exception:  # noqa: BLE001 - PasswordDeleteError (nothing saved) included
        return False


def resolve_api_key(explicit: str | None = None) -> str | None:
    """The key to use: the argument, ``GEMINI_API_KEY``, ``GOOGLE_API_KEY``, the keyring."""
    for candidate in (
        explicit,
        os.environ.get("GEMINI_API_KEY"),
        os.environ.get("GOOGLE_API_KEY"),
    ):
        if candidate and candidate.strip():
            return candidate.strip()
    return stored_api_key()


# --- errors -----------------------------------------------------------------------------


class PieceError(EmbedError):
    """An :class:`EmbedError` for one piece; ``index`` is its position in the call."""

    def __init__(
        self, message: str, *, index: int, transient: bool = False, fatal: bool = False
    ) -> None:
        super().__init__(message, transient=transient, fatal=fatal)
        self.index = index

    @classmethod
    def at(cls, index: int, error: EmbedError) -> PieceError:
        return cls(str(error), index=index, transient=error.transient, fatal=error.fatal)


class _Rejected(EmbedError):
    """The service refused the request's content (a 400 that is not about the key)."""


@dataclass
class _Abort:
    """Set by the first call that fails for every piece (bad key, network down)."""

    error: EmbedError | None = None


def _canonical_mime(mime: str) -> str:
    mime = mime.split(";")[0].strip().lower()
    return _MIME_ALIASES.get(mime, mime)


def _choose_uploads(sizes: Sequence[int], limit: int) -> set[int]:
    """Which parts go through the Files API: the largest, until the rest fits inline."""
    total = sum(sizes)
    chosen: set[int] = set()
    for i in sorted(range(len(sizes)), key=lambda i: -sizes[i]):
        if total <= limit:
            break
        chosen.add(i)
        total -= sizes[i]
    return chosen


def _part_size(part: MediaPart) -> int:
    if part.data is not None:
        return len(part.data)
    try:
        return part.path.stat().st_size if part.path is not None else 0
    except OSError:
        return 0  # the read that follows reports it


def _as_png_or_jpeg(data: bytes, mime: str) -> tuple[bytes, str]:
    """Re-encode an image the model does not read (WebP, GIF, BMP, TIFF…) as PNG or JPEG."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            im.seek(0)  # the first frame of an animation
            alpha = im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info
            out = io.BytesIO()
            if alpha:
                im.convert("RGBA").save(out, "PNG")
                return out.getvalue(), "image/png"
            im.convert("RGB").save(out, "JPEG", quality=90)
            return out.getvalue(), "image/jpeg"
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise EmbedError(f"cannot read the {mime} image: {exc}") from None


def _retry_hint(exc: Any) -> float:
    """Seconds the service asked us to wait (google.rpc.RetryInfo), or 0."""
    try:
        for detail in exc.details["error"].get("details", []):
            delay = str(detail.get("retryDelay", ""))
            if delay.endswith("s"):
                return float(delay[:-1])
    except (AttributeError, KeyError, TypeError, ValueError):
        pass
    return 0.0


def _key_rejected(exc: Any) -> bool:
    if exc.code in (401, 403):
        return True
    text = f"{exc.message or ''} {json.dumps(exc.details, default=str)}"
    return exc.code == 400 and ("API_KEY_INVALID" in text or "API key" in text)


def _transport_errors() -> tuple[type[BaseException], ...]:
    """Connection failures and timeouts: the SDK lets its HTTP library's errors through."""
    found: list[type[BaseException]] = [OSError]
    for name in ("httpx2", "httpx"):
        try:
            found.append(importlib.import_module(name).TransportError)
        except (ImportError, AttributeError):
            continue
    return tuple(found)


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
    """

    provider = "gemini"
    modalities = frozenset({"text", "image", "pdf", "audio", "video"})
    # Provisional: not yet calibrated against the real service. One floor serves
    # text-to-text and cross-modal matches, and a text query for a photo scores lower than
    # a paraphrase does, so it errs towards showing a weak match over hiding a real one.
    # Calibrate on a small labelled set (related / unrelated pairs per modality).
    score_floor = 0.35

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
        self._attempts = attempts
        self._backoff_s = backoff_s
        self._max_backoff_s = max_backoff_s
        self._inline_limit = inline_limit
        self._file_poll_s = file_poll_s
        self._file_timeout_s = file_timeout_s
        self._sleep = sleep
        self._transport: tuple[type[BaseException], ...] = ()
        self._sdk: genai.Client | None = None
        self._lock = threading.Lock()
        self._jobs: dict[str, int] = {}  # batch job name -> pieces submitted
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
        parts, uploaded = self._parts(client, text, query.media)
        try:
            result = self._send(client, [parts], _Abort())[0]
        finally:
            self._delete_files(client, uploaded)
        if isinstance(result, EmbedError):
            raise result
        return result

    def submit_batch(self, pieces: Sequence[Piece], display_name: str = "loci-index") -> str:
        """Start a Batch API job (half price, slower) for ``pieces``; returns the job name.

        Uploaded media stay in the Files API until it expires them (48 h), since the job
        reads them later.

        Raises:
            PieceError: a piece breaks the per-request limits (``index`` names it).
            EmbedError: the job could not be created.
        """
        from google.genai import types

        if not pieces:
            raise ValueError("no pieces to submit")
        client = self._client()
        contents = []
        size = 0
        for index, piece in enumerate(pieces):
            try:
                parts, _ = self._parts(client, self._document_text(piece), piece.media)
            except EmbedError as exc:
                raise PieceError.at(index, exc) from None
            size += sum(
                len(p.text or "") + len(p.inline_data.data or b"") * 4 // 3
                if p.inline_data
                else len(p.text or "")
                for p in parts
            )
            contents.append(types.Content(parts=parts))
        if size > BATCH_JOB_LIMIT:
            raise EmbedError(
                f"{len(pieces)} pieces make a {size / 1e6:.0f} MB batch job; "
                f"the service takes {BATCH_JOB_LIMIT / 1e6:.0f} MB: submit fewer"
            )
        src = types.EmbeddingsBatchJobSource(
            inlined_requests=types.EmbedContentBatch(
                contents=contents,
                config=types.EmbedContentConfig(output_dimensionality=self.dims),
            )
        )

        def create() -> types.BatchJob:
            with warnings.catch_warnings():
                # It warns on every call that the method is experimental; we know.
                warnings.filterwarnings(
                    "ignore", message=r".*create_embeddings\(\) is experimental"
                )
                return client.batches.create_embeddings(
                    model=self.model_id, src=src, config={"display_name": display_name}
                )

        job = self._call(create)
        if not job.name:
            raise EmbedError("the Batch API returned a job without a name")
        with self._lock:
            self._jobs[job.name] = len(pieces)
        return job.name

    def poll_batch(self, job_name: str) -> np.ndarray | None:
        """None while the job runs; float32[n, dims] unit rows once it has succeeded.

        Raises:
            EmbedError: the job failed, was cancelled or expired, or a piece failed.
        """
        from google.genai import types

        client = self._client()
        job = self._call(lambda: client.batches.get(name=job_name))
        done = {
            types.JobState.JOB_STATE_FAILED,
            types.JobState.JOB_STATE_CANCELLED,
            types.JobState.JOB_STATE_EXPIRED,
        }
        if job.state in done:
            raise EmbedError(f"batch job {job_name} ended: {job.state.value if job.state else ''}")
        if job.state != types.JobState.JOB_STATE_SUCCEEDED:
            return None
        responses = (job.dest.inlined_embed_content_responses or []) if job.dest else []
        expected = self._jobs.get(job_name, len(responses))
        if len(responses) != expected:
            raise EmbedError(
                f"batch job {job_name} returned {len(responses)} embeddings for {expected} pieces",
                transient=True,
            )
        rows = []
        for index, item in enumerate(responses):
            values = (
                item.response.embedding.values
                if item.response and item.response.embedding
                else None
            )
            if item.error is not None or not values:
                message = item.error.message if item.error else "no embedding"
                raise PieceError(f"batch job {job_name}: {message}", index=index)
            rows.append(values)
        vectors = self._rows(rows)
        with self._lock:
            self._jobs.pop(job_name, None)
            self.calls += len(rows)
        return vectors

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
                self._transport = _transport_errors()
            return self._sdk

    def _call(self, request: Callable[[], T]) -> T:
        """Run one API request, retrying rate limits, 5xx and network faults with backoff.

        Raises:
            EmbedError: ``fatal`` for a rejected key or unknown model, ``transient`` when
                retries ran out; :class:`_Rejected` for any other refusal (never retried).
        """
        from google.genai import errors

        problem = ""
        for attempt in range(1, self._attempts + 1):
            hint = 0.0
            try:
                return request()
            except errors.APIError as exc:
                if _key_rejected(exc):
                    raise EmbedError(KEY_REJECTED, fatal=True) from None
                if exc.code == 404:
                    # On embed calls this means the model name is wrong: no call can succeed.
                    raise EmbedError(
                        f"Gemini API: not found ({exc.message}); check the model "
                        f"name {self.model_id!r}",
                        fatal=True,
                    ) from None
                if exc.code not in RETRY_STATUSES:
                    raise _Rejected(f"Gemini refused the request: {exc.message}") from None
                problem = f"Gemini API {exc.code} {exc.status or ''}".strip()
                hint = _retry_hint(exc)
            except self._transport as exc:
                problem = f"cannot reach the Gemini API ({type(exc).__name__})"
            if attempt < self._attempts:
                delay = self._backoff(attempt, hint)
                log.info("%s; retry %d/%d in %.1fs", problem, attempt, self._attempts - 1, delay)
                self._sleep(delay)
        raise EmbedError(f"{problem}; gave up after {self._attempts} attempts", transient=True)

    def _backoff(self, attempt: int, hint: float) -> float:
        delay = min(self._max_backoff_s, self._backoff_s * 2 ** (attempt - 1))
        delay *= random.uniform(0.5, 1.0)  # jitter: concurrent callers do not retry in step
        return max(delay, min(hint, self._max_backoff_s))

    # --- documents ----------------------------------------------------------------------

    @staticmethod
    def _document_text(piece: Piece) -> str:
        return prefixed(fit_text(piece.embed_text or piece.text), "document", title=piece.title)

    def _plan(self, pieces: Sequence[Piece]) -> list[list[int]]:
        """Group piece indices into calls: ≤ batch_size each, inline media within the limit."""
        groups: list[list[int]] = []
        group: list[int] = []
        load = 0
        for index, piece in enumerate(pieces):
            sizes = [_part_size(m) for m in piece.media]
            uploads = _choose_uploads(sizes, self._inline_limit)
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
                    parts, files = self._parts(client, self._document_text(piece), piece.media)
                except EmbedError as exc:
                    if exc.fatal or exc.transient:
                        abort.error = abort.error or exc
                    results.append(exc)
                    continue
                uploaded.extend(files)
                ready.append((slot, parts))
                results.append(np.zeros(0))  # filled in below
            if ready:
                sent = self._send(client, [parts for _, parts in ready], abort)
                for (slot, _), result in zip(ready, sent, strict=True):
                    results[slot] = result
        finally:
            self._delete_files(client, uploaded)
        return results

    def _send(
        self, client: genai.Client, contents: list[list[types.Part]], abort: _Abort
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
            return client.models.embed_content(model=self.model_id, contents=batch, config=config)

        try:
            response = self._call(request)
        except _Rejected as exc:
            if len(contents) == 1:
                return [EmbedError(str(exc))]
            log.info("Gemini refused a batch of %d; retrying its pieces one by one", len(batch))
            return [result for c in contents for result in self._send(client, [c], abort)]
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

    # --- media --------------------------------------------------------------------------

    def _parts(
        self, client: genai.Client, text: str | None, media: Sequence[MediaPart]
    ) -> tuple[list[types.Part], list[str]]:
        """The parts of one Content, and the names of files uploaded for it.

        Raises:
            EmbedError: the media break the model's per-request limits or cannot be read.
        """
        from google.genai import types

        loaded = [self._load(m) for m in media]
        images = sum(1 for _, mime in loaded if mime in IMAGE_TYPES)
        if images > MAX_IMAGES:
            raise EmbedError(f"{images} images in one piece; the model takes at most {MAX_IMAGES}")
        for label in set(_ONE_PER_REQUEST.values()):
            count = sum(1 for _, mime in loaded if _ONE_PER_REQUEST.get(mime) == label)
            if count > 1:
                raise EmbedError(f"{count} {label} files in one piece; the model takes one")
        parts = [types.Part.from_text(text=text)] if text is not None else []
        uploads = _choose_uploads([len(data) for data, _ in loaded], self._inline_limit)
        names: list[str] = []
        try:
            for i, (data, mime) in enumerate(loaded):
                if i in uploads:
                    name, uri = self._upload(client, data, mime)
                    names.append(name)
                    parts.append(types.Part.from_uri(file_uri=uri, mime_type=mime))
                else:
                    parts.append(types.Part.from_bytes(data=data, mime_type=mime))
        except EmbedError:
            self._delete_files(client, names)
            raise
        return parts, names

    @staticmethod
    def _load(part: MediaPart) -> tuple[bytes, str]:
        mime = _canonical_mime(part.mime)
        try:
            data = part.read()
        except OSError as exc:
            raise EmbedError(f"cannot read {part.path}: {exc.strerror or exc}") from None
        if mime.startswith("image/") and mime not in IMAGE_TYPES:
            return _as_png_or_jpeg(data, mime)
        if mime not in MEDIA_TYPES:
            raise EmbedError(
                f"the model does not read {mime} (it takes PNG, JPEG, PDF, MP3, WAV, MP4, MOV)"
            )
        return data, mime

    def _upload(self, client: genai.Client, data: bytes, mime: str) -> tuple[str, str]:
        """Upload one medium through the Files API and wait until it is ACTIVE."""
        from google.genai import types

        config = types.UploadFileConfig(mime_type=mime, display_name="loci")
        file = self._call(lambda: client.files.upload(file=io.BytesIO(data), config=config))
        name = file.name or ""
        polls = max(1, math.ceil(self._file_timeout_s / max(self._file_poll_s, 1e-3)))
        for _ in range(polls):
            if file.state == types.FileState.ACTIVE and file.uri:
                return name, file.uri
            if file.state == types.FileState.FAILED:
                error = file.error.message if file.error else "processing failed"
                raise EmbedError(f"Gemini could not process the {mime} file: {error}")
            self._sleep(self._file_poll_s)
            file = self._call(lambda: client.files.get(name=name))
        raise EmbedError(
            f"the uploaded {mime} file was not ready after {self._file_timeout_s:.0f}s",
            transient=True,
        )

    def _delete_files(self, client: genai.Client, names: Sequence[str]) -> None:
        # Courtesy cleanup: the service expires uploads after 48 h anyway, so a failure
        # here must not fail the embedding.
        for name in names:
            try:
                client.files.delete(name=name)
            except Exception:  # noqa: BLE001
                log.debug("could not delete uploaded file %s", name)
