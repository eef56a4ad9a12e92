"""The cloud provider: Google's ``gemini-embedding-2`` through the ``google-genai`` SDK.

One embedding space for text, images, PDFs, audio and video. Each piece becomes ONE
``Content`` (its prefixed text and its media parts, interleaved) and so one vector; a
plain list of strings or parts would be merged by this model into a single vector
(GEMINI_API.md). Calls carry at most 100 Contents, run a few at a time, and are retried
on rate limits, server errors and network faults. A piece the service rejects fails
alone: a rejected batch is retried in halves to find it.

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
import re
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
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
# A batch job's JSON Lines input file: the Files API takes 2 GB a file; stay well below.
BATCH_FILE_LIMIT = 1_000_000_000
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
MAX_THROTTLES = 50  # 429s with a retryDelay one call waits out before it counts as failing

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
Endpoint = Literal["embed", "batch", "file"]
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
        made = cls(str(error), index=index, transient=error.transient, fatal=error.fatal)
        made.offline = error.offline
        return made


class _Rejected(EmbedError):
    """The service refused the request's content (a 400 that is not about the key)."""


class _Gone(EmbedError):
    """A batch job or an uploaded file the service no longer has (404) or shows (403)."""


@dataclass
class _Abort:
    """Set by the first call that fails for every piece (bad key, network down)."""

    error: EmbedError | None = None


class _Gate:
    """How many embedding calls may be in flight, adapted to the service's quota (AIMD).

    A 429 halves the limit and holds every caller for the ``retryDelay`` the service
    named (so the calls in flight do not all run into the same wall); each success adds
    ``1 / limit``, so the limit creeps back up by about one per round of calls, up to the
    configured concurrency.
    """

    def __init__(self, ceiling: int, sleep: Callable[[float], None] = time.sleep) -> None:
        self.ceiling = ceiling
        self.limit = float(ceiling)
        self.active = 0
        self.lowest = float(ceiling)  # for tests and benchmarks: how far it backed off
        self._until = 0.0
        self._sleep = sleep
        self._cond = threading.Condition()

    def __enter__(self) -> _Gate:
        with self._cond:
            wait = self._until - time.monotonic()
        if wait > 0:
            self._sleep(wait)  # outside the lock; once: a test's sleep does not pass time
        with self._cond:
            while self.active >= max(1, int(self.limit)):
                self._cond.wait()
            self.active += 1
        return self

    def __exit__(self, *exc: object) -> None:
        with self._cond:
            self.active -= 1
            self._cond.notify_all()

    def throttled(self, delay: float) -> None:
        with self._cond:
            self.limit = max(1.0, self.limit / 2)
            self.lowest = min(self.lowest, self.limit)
            if delay > 0:
                self._until = max(self._until, time.monotonic() + delay)
            self._cond.notify_all()

    def passed(self) -> None:
        with self._cond:
            if self.limit < self.ceiling:
                self.limit = min(float(self.ceiling), self.limit + 1.0 / self.limit)
                self._cond.notify_all()


@dataclass
class _Chunk:
    """The requests of one batch job's input file."""

    lines: list[bytes] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    uploads: list[str] = field(default_factory=list)
    size: int = 0

    def add(self, key: str, line: bytes, uploads: Sequence[str]) -> None:
        self.lines.append(line)
        self.keys.append(key)
        self.uploads.extend(uploads)
        self.size += len(line)


@dataclass
class BatchResult:
    """What an ended batch job returned: vectors and errors by request key.

    ``ended`` is empty for a job that succeeded, else why it ended without results.
    """

    vectors: dict[str, np.ndarray]
    errors: dict[str, str]
    ended: str


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


def _linked(piece: Piece) -> bool:
    """A note's media are images it links: optional, unlike an image file's own pixels."""
    return piece.kind == "note" and bool(piece.text.strip())


def _part_size(part: MediaPart) -> int:
    if part.data is not None:
        return len(part.data)
    try:
        return part.path.stat().st_size if part.path is not None else 0
    except OSError:
        return 0  # the read that follows reports it


def _as_png_or_jpeg(data: bytes, mime: str, path: Any = None) -> tuple[bytes, str]:
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
        # PIL names the in-memory buffer (<_io.BytesIO object at 0x…>); name the file.
        reason = re.sub(r"\s*<_io\.BytesIO object at 0x[0-9a-fA-F]+>", "", str(exc)).strip()
        where = f" {path}" if path is not None else ""
        reason = reason or "not an image"
        raise EmbedError(f"cannot read the {mime} image{where}: {reason}") from None


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
        batch_file_limit: bytes of one batch job's input file; more makes more jobs.
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
        self._batch_file_limit = batch_file_limit
        self._offline: EmbedError | None = None
        # Calls in flight adapt to the quota: halved on a 429, crept back up on success.
        self.gate = _Gate(concurrency, sleep)
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

    def submit_batch(
        self, items: Sequence[tuple[str, Piece]], display_name: str = "loci-index"
    ) -> list[dict[str, Any]]:
        """Start Batch API jobs (half price, slower) for keyed pieces; one record per job.

        Each request goes in an uploaded JSON Lines input file as ``{"key", "request"}``
        and its result comes back under the same key, so results are matched to pieces
        by key, never by position, and a later process can collect them. Requests are
        split over several jobs so that no input file exceeds ``batch_file_limit``.
        A piece that breaks the per-request limits is left out: the ingesting run
        embeds it online and records its error.

        Returns:
            ``[{"name": job, "cleanup": [uploaded file names], "keys": [its keys]}]``.

        Raises:
            EmbedError: no job could be created (files uploaded for it are deleted).
        """
        from google.genai import types

        if not items:
            raise ValueError("no pieces to submit")
        client = self._client()
        chunks: list[_Chunk] = [_Chunk()]
        try:
            for key, piece in items:
                try:
                    parts, files = self._parts(
                        client, self._document_text(piece), piece.media, _linked(piece)
                    )
                except EmbedError as exc:
                    if exc.fatal or exc.transient:
                        raise
                    continue
                content = types.Content(parts=parts, role="user")
                request = {
                    "model": f"models/{self.model_id}",
                    "content": content.model_dump(mode="json", exclude_none=True),
                    "output_dimensionality": self.dims,
                }
                line = json.dumps({"key": key, "request": request}).encode() + b"\n"
                if chunks[-1].lines and chunks[-1].size + len(line) > self._batch_file_limit:
                    chunks.append(_Chunk())
                chunks[-1].add(key, line, files)
        except BaseException:
            self._delete_files(client, [n for c in chunks for n in c.uploads])
            raise
        jobs: list[dict[str, Any]] = []
        chunks = [c for c in chunks if c.lines]
        for number, chunk in enumerate(chunks, start=1):
            name = f"{display_name}-{number}" if len(chunks) > 1 else display_name
            try:
                jobs.append(self._create_job(client, chunk, name))
            except EmbedError:
                self._delete_files(client, [n for c in chunks[number - 1 :] for n in c.uploads])
                if not jobs:
                    raise
                # The jobs already created stand; the rest of the pieces are not in any
                # job and the ingesting run embeds them online.
                log.warning("batch: only %d of %d jobs could be created", len(jobs), len(chunks))
                break
        return jobs

    def _create_job(self, client: genai.Client, chunk: _Chunk, display_name: str) -> dict[str, Any]:
        from google.genai import types

        input_name, _ = self._upload(client, b"".join(chunk.lines), "jsonl", display_name)
        cleanup = [*chunk.uploads, input_name]
        src = types.EmbeddingsBatchJobSource(file_name=input_name)

        def create() -> types.BatchJob:
            with warnings.catch_warnings():
                # It warns on every call that the method is experimental; we know.
                warnings.filterwarnings(
                    "ignore", message=r".*create_embeddings\(\) is experimental"
                )
                return client.batches.create_embeddings(
                    model=self.model_id, src=src, config={"display_name": display_name}
                )

        try:
            job = self._call(create, "batch")
        except EmbedError:
            self._delete_files(client, [input_name])
            raise
        if not job.name:
            self._delete_files(client, [input_name])
            raise EmbedError("the Batch API returned a job without a name")
        return {"name": job.name, "cleanup": cleanup, "keys": chunk.keys}

    def poll_batch(self, job_name: str) -> BatchResult | None:
        """None while the job runs; once it has ended, what it returned, by key.

        A job that failed, was cancelled or expired ends with no vectors. An item
        without a usable vector (an error, a wrong size, missing) is simply absent from
        ``vectors``; ``errors`` says why when the service did.

        Raises:
            EmbedError: the job could not be read (transient while the network is down).
        """
        from google.genai import types

        client = self._client()
        try:
            job = self._call(lambda: client.batches.get(name=job_name), "batch")
        except _Gone as exc:
            # Expired or deleted: it ended, with nothing to collect.
            return BatchResult({}, {}, f"batch job {job_name}: {exc}")
        ended = {
            types.JobState.JOB_STATE_FAILED,
            types.JobState.JOB_STATE_CANCELLED,
            types.JobState.JOB_STATE_EXPIRED,
        }
        if job.state in ended:
            state = job.state.value if job.state else ""
            detail = f" ({job.error.message})" if job.error and job.error.message else ""
            return BatchResult({}, {}, f"batch job {job_name} ended: {state}{detail}")
        if job.state != types.JobState.JOB_STATE_SUCCEEDED:
            return None
        records: list[Any] = []
        if job.dest and job.dest.file_name:
            out = job.dest.file_name
            raw = self._call(lambda: client.files.download(file=out), "file")
            for line in raw.splitlines():
                if line.strip():
                    try:
                        records.append(json.loads(line))
                    except ValueError:
                        log.warning("batch job %s: an unreadable result line", job_name)
        elif job.dest and job.dest.inlined_embed_content_responses:
            # Inlined results carry the key only in their metadata, if at all; without
            # one a result cannot be matched to its piece and is not used.
            for item in job.dest.inlined_embed_content_responses:
                record = item.model_dump(mode="json", exclude_none=True)
                record["key"] = (item.metadata or {}).get("key")
                records.append(record)
        vectors: dict[str, np.ndarray] = {}
        errors: dict[str, str] = {}
        for record in records:
            key = record.get("key") if isinstance(record, dict) else None
            if not isinstance(key, str) or not key:
                continue
            response = record.get("response") or {}
            values = (response.get("embedding") or {}).get("values") or []
            error = record.get("error") or response.get("error")
            if error:
                errors[key] = str(error.get("message") if isinstance(error, dict) else error)
            elif len(values) != self.dims:
                errors[key] = f"the service returned {len(values)} dims, not {self.dims}"
            else:
                vectors[key] = self._rows([values])[0]
        with self._lock:
            self.calls += len(vectors)
        return BatchResult(vectors, errors, "")

    def delete_files(self, names: Sequence[str]) -> None:
        """Delete uploaded files (a collected batch job's inputs); failures are ignored."""
        if names:
            self._delete_files(self._client(), names)

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
                self._transport = _transport_errors()
            return self._sdk

    def _call(
        self, request: Callable[[], T], endpoint: Endpoint = "embed", bulk: bool = False
    ) -> T:
        """Run one API request, retrying rate limits, 5xx and network faults with backoff.

        ``endpoint`` says what was asked, so that a 404 or 403 is explained for what it
        means there: on an embed call a 404 is a wrong model name, on ``batches.get`` or
        ``files.get`` it is a job or file that is gone. ``bulk``: part of an index run,
        which remembers a dead network (a query always tries).

        Raises:
            EmbedError: ``fatal`` for a rejected key or unknown model, ``transient`` when
                retries ran out; :class:`_Rejected` for any other refusal (never retried).
        """
        from google.genai import errors

        if bulk and self._offline is not None:
            raise self._offline  # the network was found dead earlier in this run
        problem = ""
        network = False
        attempt = 0
        throttles = 0
        while attempt < self._attempts:
            attempt += 1
            hint = 0.0
            try:
                result = request()
                if endpoint == "embed":
                    self.gate.passed()
                return result
            except errors.APIError as exc:
                if _key_rejected(exc) and (exc.code != 403 or endpoint == "embed"):
                    raise EmbedError(KEY_REJECTED, fatal=True) from None
                if exc.code in (403, 404) and endpoint != "embed":
                    what = "batch job" if endpoint == "batch" else "uploaded file"
                    gone = "no longer exists" if exc.code == 404 else "is not accessible"
                    raise _Gone(f"Gemini API: the {what} {gone} ({exc.message})") from None
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
                network = False
                if exc.code == 429 and endpoint == "embed":
                    # Over the quota: fewer calls in flight, every caller waits out the
                    # delay. A delay the service names is pacing, not failure: it does
                    # not use up an attempt (up to MAX_THROTTLES a call).
                    self.gate.throttled(min(hint, self._max_backoff_s))
                    if hint > 0 and throttles < MAX_THROTTLES:
                        throttles += 1
                        attempt -= 1
                        continue  # the gate holds this call, and the others, for the delay
            except self._transport as exc:
                problem = f"cannot reach the Gemini API ({type(exc).__name__})"
                network = True
            if attempt < self._attempts:
                delay = self._backoff(attempt, hint)
                log.info("%s; retry %d/%d in %.1fs", problem, attempt, self._attempts - 1, delay)
                self._sleep(delay)
                if bulk and self._offline is not None:
                    raise self._offline
        error = EmbedError(f"{problem}; gave up after {self._attempts} attempts", transient=True)
        if network and bulk:
            # Remember it for the run: the next rounds stop at once, their files pending,
            # instead of each retrying a dead network from scratch.
            self._offline = EmbedError(
                f"{problem}; stopped after {self._attempts} attempts, the rest is left "
                "pending for the next run",
                transient=True,
                offline=True,
            )
            raise self._offline
        raise error

    def reset_offline(self) -> None:
        """Forget a dead network (a new run, or the user asked to retry)."""
        self._offline = None

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
                    parts, files = self._parts(
                        client, self._document_text(piece), piece.media, _linked(piece)
                    )
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
            self._delete_files(client, uploaded)
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
        except _Rejected as exc:
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

    # --- media --------------------------------------------------------------------------

    def _parts(
        self,
        client: genai.Client,
        text: str | None,
        media: Sequence[MediaPart],
        optional_media: bool = False,
    ) -> tuple[list[types.Part], list[str]]:
        """The parts of one Content, and the names of files uploaded for it.

        ``optional_media``: the media are a note's linked images; one that cannot be
        read is dropped (and named in the log) and the note's text still embedded.

        Raises:
            EmbedError: the media break the model's per-request limits or cannot be read.
        """
        from google.genai import types

        loaded = []
        for m in media:
            try:
                loaded.append(self._load(m))
            except EmbedError as exc:
                if not optional_media:
                    raise
                log.warning("linked image dropped, the note's text is kept: %s", exc)
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
            return _as_png_or_jpeg(data, mime, part.path)
        if mime not in MEDIA_TYPES:
            raise EmbedError(
                f"the model does not read {mime} (it takes PNG, JPEG, PDF, MP3, WAV, MP4, MOV)"
            )
        return data, mime

    def _upload(
        self, client: genai.Client, data: bytes, mime: str, display_name: str = "loci"
    ) -> tuple[str, str]:
        """Upload one medium (or a batch input file) through the Files API; wait till ACTIVE."""
        from google.genai import types

        config = types.UploadFileConfig(mime_type=mime, display_name=display_name)
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
            file = self._call(lambda: client.files.get(name=name), "file")
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
