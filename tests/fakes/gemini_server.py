"""A fake Gemini Developer API on 127.0.0.1 that speaks the real wire format.

The real ``google-genai`` SDK talks to it over HTTP, so tests exercise the SDK's request
building and response parsing, not a mock of them. Routes (see GEMINI_API.md):

- ``POST /{v}/models/{model}:batchEmbedContents``: one vector per request, derived from a
  hash of the request's Content, of the requested ``outputDimensionality``, deliberately
  not unit length; at most 100 requests (the real 400 otherwise).
- ``POST /{v}/models/{model}:asyncBatchEmbedContent`` and ``GET /{v}/batches/{id}``:
  inlined requests or a JSONL input file of ``{"key", "request"}`` lines; the first poll
  says running, the next says succeeded, with results keyed per request (inlined, or a
  JSONL responses file under ``GET /download/{v}/files/{id}:download``), optionally out
  of order, with missing and failed items.
- ``POST /upload/{v}/files`` (resumable start, then upload+finalize to the returned URL)
  and ``GET /{v}/files/{id}`` (``PROCESSING`` for the first polls, then ``ACTIVE``);
  ``DELETE /{v}/files/{id}``.
- ``POST /{v}/models/{model}:generateContent``: a canned candidate.

Every request is recorded; faults are injected with :meth:`FakeGemini.inject`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest

API_KEY = "test-key-0123456789"
MAX_REQUESTS = 100
DEFAULT_DIMS = 3072
TOO_MANY = "* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch"
BAD_KEY = "API key not valid. Please pass a valid API key."
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


@dataclass(frozen=True)
class Fault:
    """A canned answer to the next embed call instead of the normal one.

    ``status`` 200 with ``drop`` > 0 answers normally but leaves off that many embeddings
    (the SDK does not notice; the app must).
    """

    status: int
    message: str = ""
    drop: int = 0
    retry_delay: str = ""  # e.g. "7s": sent as google.rpc.RetryInfo, as the real 429 does


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or the raw bytes for uploads


@dataclass
class _Upload:
    mime: str
    display_name: str
    data: bytearray = field(default_factory=bytearray)


def part_key(part: dict[str, Any]) -> dict[str, Any]:
    """A part in one spelling (snake_case), so camelCase and snake_case hash alike."""
    out: dict[str, Any] = {}
    for name, value in part.items():
        snake = re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()
        out[snake] = part_key(value) if isinstance(value, dict) else value
    return out


def content_vector(content: dict[str, Any], dims: int, semantic: bool = False) -> list[float]:
    """A deterministic, deliberately non-unit vector for one Content.

    ``semantic``: a bag of the words after the task prefix, scaled by 3, so that a query
    and a document sharing words are near (end-to-end search tests); media add a hash.
    """
    if semantic:
        vec = np.zeros(dims)
        for text in content_texts(content):
            body = re.sub(r"^(task: [^|]*\| query: |title: [^|]*\| text: )", "", text)
            for word in re.findall(r"\w+", body.lower()):
                h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
                vec[h % dims] += 3.0 if (h >> 32) & 1 else -3.0
        if not vec.any():
            vec[0] = 3.0
        return np.round(vec, 6).tolist()
    parts = [part_key(p) for p in content.get("parts", [])]
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
    return np.round(rng.normal(0.0, 3.0, dims), 6).tolist()


def content_texts(content: dict[str, Any]) -> list[str]:
    return [p["text"] for p in content.get("parts", []) if "text" in p]


def _tokens(content: dict[str, Any]) -> int:
    # Roughly what the real service reports: ~4 characters a token, 258 per media part.
    return sum(len(p["text"]) // 4 + 1 if "text" in p else 258 for p in content.get("parts", []))


class FakeGemini:
    """The fake server's state; start it with :meth:`start` (or use the fixture).

    Attributes:
        api_keys: keys accepted; any other gets the real 400 API_KEY_INVALID answer.
        latency_s: added to every embed call (``batchEmbedContents``).
        quota_tokens_per_min: tokens a window (``quota_window_s``, 60 s) accepts; a call
            over it gets 429 with ``retryDelay``; every answer carries quota headers.
        reject_text: an embed call with a Content whose text contains this gets a 400,
            the way the real service rejects a whole batch for one bad request.
        file_processing_polls: ``GET files/{id}`` answers PROCESSING this many times.
        fail_batches: batch jobs end in BATCH_STATE_FAILED.
        batch_running_polls: ``GET batches/{id}`` answers RUNNING this many times.
        batch_shuffle: batch results come back in another order than the requests.
        batch_drop, batch_fail: request positions whose result is left out, or is an
            error, in every batch job.
        inline_batch_limit: bytes of an inlined batch-create request (the real ~20 MB).
        generate_text: the canned answer of ``generateContent``.
    """

    def __init__(self) -> None:
        self.api_keys = {API_KEY}
        self.latency_s = 0.0
        self.reject_text: str | None = None
        self.file_processing_polls = 1
        self.fail_batches = False
        self.batch_running_polls = 1
        self.batch_shuffle = False
        self.batch_drop: set[int] = set()
        self.batch_fail: set[int] = set()
        self.inline_batch_limit = 20 * 1024 * 1024
        # A quota of tokens a minute (0: none), as the real per-minute quota: over it, the
        # real 429 RESOURCE_EXHAUSTED with a RetryInfo delay until enough has expired.
        self.quota_tokens_per_min = 0
        self.quota_window_s = 60.0
        self._spent: deque[tuple[float, int]] = deque()  # (time, tokens) in the window
        self.quota_refusals = 0
        self.semantic = False  # bag-of-words vectors, for end-to-end search
        self.generate_text = "A canned answer from the fake Gemini server."
        self.requests: list[Recorded] = []
        self.faults: deque[Fault] = deque()
        self.files: dict[str, dict[str, Any]] = {}  # id -> record, with "data" and "deleted"
        self.batches: dict[str, dict[str, Any]] = {}
        self._uploads: dict[str, _Upload] = {}
        self._file_polls: dict[str, int] = {}
        self._lock = threading.Lock()
        self._ids = 0
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------

    def start(self, port: int = 0) -> FakeGemini:
        fake = self

        class Handler(_Handler):
            server_state = fake

        self._httpd = _Server(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},  # so that stop() returns at once
            name="fake-gemini",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_port}"

    # --- test controls and views ----------------------------------------------------

    def inject(self, *faults: Fault | int) -> None:
        """Queue canned answers for the next embed calls, one each (ints are statuses)."""
        with self._lock:
            for f in faults:
                self.faults.append(Fault(f) if isinstance(f, int) else f)

    def recorded(self, suffix: str = ":batchEmbedContents") -> list[Recorded]:
        """Requests whose path (without query) ends with ``suffix``."""
        with self._lock:
            return [r for r in self.requests if r.path.split("?")[0].endswith(suffix)]

    def embed_bodies(self) -> list[dict[str, Any]]:
        return [r.body for r in self.recorded(":batchEmbedContents")]

    def embed_contents(self) -> list[dict[str, Any]]:
        """Every Content sent to ``batchEmbedContents``, in arrival order."""
        return [req["content"] for body in self.embed_bodies() for req in body["requests"]]

    def _charge(self, tokens: int) -> float:
        """Count a call against the quota: 0 when it fits, else seconds until it would."""
        if not self.quota_tokens_per_min:
            return 0.0
        with self._lock:
            now = time.monotonic()
            while self._spent and self._spent[0][0] <= now - self.quota_window_s:
                self._spent.popleft()
            used = sum(n for _, n in self._spent)
            if used + tokens <= self.quota_tokens_per_min:
                self._spent.append((now, tokens))
                return 0.0
            self.quota_refusals += 1
            # Wait until enough of the window has expired for this call to fit.
            need = used + tokens - self.quota_tokens_per_min
            freed = 0
            for at, n in self._spent:
                freed += n
                if freed >= need:
                    return max(0.001, at + self.quota_window_s - now)
            return self.quota_window_s

    def quota_headers(self) -> dict[str, str]:
        if not self.quota_tokens_per_min:
            return {}
        with self._lock:
            now = time.monotonic()
            used = sum(n for at, n in self._spent if at > now - self.quota_window_s)
        return {
            "x-ratelimit-limit-tokens": str(self.quota_tokens_per_min),
            "x-ratelimit-remaining-tokens": str(max(0, self.quota_tokens_per_min - used)),
        }

    def _next_id(self, prefix: str) -> str:
        with self._lock:
            self._ids += 1
            return f"{prefix}{self._ids:04d}"

    def _pop_fault(self) -> Fault | None:
        with self._lock:
            return self.faults.popleft() if self.faults else None


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a handler still sleeping (latency) never blocks shutdown

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out or closed its connection is expected in fault tests.
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


def error_body(code: int, message: str, reason: str = "", retry_delay: str = "") -> dict[str, Any]:
    """The Google API error envelope, with ErrorInfo / RetryInfo details when given."""
    error: dict[str, Any] = {
        "code": code,
        "message": message,
        "status": STATUS_NAMES.get(code, "UNKNOWN"),
    }
    details: list[dict[str, Any]] = []
    if reason:
        details.append(
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": reason,
                "domain": "googleapis.com",
            }
        )
    if retry_delay:
        details.append(
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry_delay}
        )
    if details:
        error["details"] = details
    return {"error": error}


class _Handler(BaseHTTPRequestHandler):
    server_state: FakeGemini
    protocol_version = "HTTP/1.1"
    _started = 0.0

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # keep test output clean

    # --- plumbing ---------------------------------------------------------------------

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _reply(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        self._send_bytes(status, json.dumps(body).encode(), headers)

    def _send_bytes(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, code: int, message: str, reason: str = "", retry_delay: str = "") -> None:
        self._reply(code, error_body(code, message, reason, retry_delay))

    def _record(self, raw: bytes, upload: bool) -> Any:
        body: Any = raw
        if not upload and raw:
            body = json.loads(raw)
        state = self.server_state
        with state._lock:
            state.requests.append(
                Recorded(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
            )
        return body

    def _authorised(self) -> bool:
        if self.headers.get("x-goog-api-key") in self.server_state.api_keys:
            return True
        self._error(400, BAD_KEY, "API_KEY_INVALID")
        return False

    # --- routing ----------------------------------------------------------------------

    def do_POST(self) -> None:  # noqa: N802
        self._started = time.monotonic()
        path = urlparse(self.path).path
        chunk = path.startswith("/upload/") and "upload_id=" in self.path
        body = self._record(self._body(), upload=chunk)
        if chunk:
            return self._upload_chunk(body)
        if not self._authorised():
            return None
        if path.startswith("/upload/") and path.endswith("/files"):
            return self._upload_start(body)
        m = re.fullmatch(r"/v1\w*/models/([^/:]+):(\w+)", path)
        if m is None:
            return self._error(404, f"no route for POST {path}")
        model, method = m.groups()
        if method == "batchEmbedContents":
            return self._embed(model, body)
        if method == "asyncBatchEmbedContent":
            return self._batch_create(model, body)
        if method == "generateContent":
            return self._generate(body)
        return self._error(404, f"method {method} is not supported by the fake")

    def do_GET(self) -> None:  # noqa: N802
        path = urlparse(self.path).path
        self._record(b"", upload=False)
        if not self._authorised():
            return None
        if m := re.fullmatch(r"/v1\w*/batches/([^/]+)", path):
            return self._batch_get(m.group(1))
        if m := re.fullmatch(r"(?:/download)?/v1\w*/files/([^/:]+):download", path):
            return self._download(m.group(1))
        if m := re.fullmatch(r"/v1\w*/files/([^/]+)", path):
            return self._file_get(m.group(1))
        return self._error(404, f"no route for GET {path}")

    def do_DELETE(self) -> None:  # noqa: N802
        path = urlparse(self.path).path
        self._record(b"", upload=False)
        if not self._authorised():
            return None
        m = re.fullmatch(r"/v1\w*/files/([^/]+)", path)
        state = self.server_state
        with state._lock:
            record = state.files.get(m.group(1)) if m else None
            found = record is not None and not record.get("deleted")
            if record is not None:
                record["deleted"] = True
        if not found:
            return self._error(404, f"no file at {path}")
        self._reply(200, {})

    # --- embeddings -------------------------------------------------------------------

    def _embed(self, model: str, body: dict[str, Any]) -> None:
        status, reply = self._embed_answer(model, body)
        data = json.dumps(reply).encode()
        # The latency is the call's whole time at the server, its own work included, so
        # that a benchmark measures the client rather than the fake.
        remaining = self.server_state.latency_s - (time.monotonic() - self._started)
        if remaining > 0:
            time.sleep(remaining)
        self._send_bytes(status, data, self.server_state.quota_headers())

    def _embed_answer(self, model: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        state = self.server_state
        fault = state._pop_fault()
        if fault is not None and fault.status != 200:
            message = fault.message or f"injected {fault.status}"
            return fault.status, error_body(fault.status, message, retry_delay=fault.retry_delay)
        requests = body.get("requests", [])
        if len(requests) > MAX_REQUESTS:
            return 400, error_body(400, TOO_MANY)
        if not requests:
            return 400, error_body(400, "* BatchEmbedContentsRequest.requests: must not be empty")
        for req in requests:
            if req.get("model") != f"models/{model}":
                return 400, error_body(400, f"* requests[].model: must be models/{model}")
            if state.reject_text and any(
                state.reject_text in t for t in content_texts(req["content"])
            ):
                return 400, error_body(400, "Request contains an invalid argument.")
        tokens = sum(_tokens(r["content"]) for r in requests)
        wait = state._charge(tokens)
        if wait > 0:
            message = "Resource has been exhausted (e.g. check quota)."
            return 429, error_body(429, message, retry_delay=f"{wait:.3f}s")
        embeddings = [
            {
                "values": content_vector(
                    r["content"], r.get("outputDimensionality", DEFAULT_DIMS), state.semantic
                )
            }
            for r in requests
        ]
        if fault is not None and fault.drop:
            embeddings = embeddings[: -fault.drop]
        usage = {"promptTokenCount": tokens, "totalTokenCount": tokens}
        return 200, {"embeddings": embeddings, "usageMetadata": usage}

    def _batch_create(self, model: str, body: dict[str, Any]) -> None:
        """Inlined requests (``metadata.key`` optional) or a JSONL input file of
        ``{"key", "request"}`` lines, as the Batch API takes them."""
        state = self.server_state
        batch = body.get("batch", {})
        config = batch.get("inputConfig", {})
        items: list[tuple[str | None, dict[str, Any]]] = []
        # The SDK spells it file_name here; the service reads either spelling.
        file_name = config.get("fileName") or config.get("file_name")
        from_file = file_name is not None
        if from_file:
            file_id = str(file_name).removeprefix("files/")
            with state._lock:
                record = state.files.get(file_id)
            if record is None or record.get("deleted"):
                return self._error(400, f"* batch.input_config.file_name: {file_id} not found")
            for line in record["data"].splitlines():
                if line.strip():
                    row = json.loads(line)
                    items.append((row.get("key"), row["request"]))
        else:
            for item in config.get("requests", {}).get("requests", []):
                items.append(((item.get("metadata") or {}).get("key"), item["request"]))
        if not items:
            return self._error(400, "* batch.input_config: requests must not be empty")
        size = len(json.dumps(body)) if not from_file else 0
        if size > state.inline_batch_limit:
            return self._error(400, "Request payload size exceeds the limit: 20971520 bytes.")
        name = f"batches/{state._next_id('job')}"
        job = {
            "name": name,
            "model": f"models/{model}",
            "displayName": batch.get("displayName", ""),
            "items": items,
            "from_file": from_file,
            "polls": 0,
            "output": None,
        }
        with state._lock:
            state.batches[name] = job
        self._reply(200, {"name": name, "metadata": self._batch_metadata(job, "PENDING")})

    def _batch_results(self, job: dict[str, Any]) -> list[dict[str, Any]]:
        """One result per request, keyed; the fake's faults reorder, drop and fail some."""
        state = self.server_state
        results = []
        for index, (key, request) in enumerate(job["items"]):
            result: dict[str, Any] = {}
            if key is not None:
                result["key" if job["from_file"] else "metadata"] = (
                    key if job["from_file"] else {"key": key}
                )
            if index in state.batch_fail:
                result["error"] = {"code": 400, "message": f"injected failure of item {index}"}
            else:
                values = content_vector(
                    request["content"],
                    request.get("outputDimensionality", request.get("output_dimensionality"))
                    or DEFAULT_DIMS,
                    state.semantic,
                )
                result["response"] = {"embedding": {"values": values}}
            if index not in state.batch_drop:
                results.append(result)
        if state.batch_shuffle:
            order = np.random.default_rng(len(results)).permutation(len(results))
            results = [results[i] for i in order]
        return results

    def _batch_metadata(self, job: dict[str, Any], state_name: str) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.EmbedContentBatch",
            "name": job["name"],
            "model": job["model"],
            "displayName": job["displayName"],
            "state": f"BATCH_STATE_{state_name}",
        }
        if state_name == "SUCCEEDED":
            state = self.server_state
            results = self._batch_results(job)
            if job["from_file"]:
                if job["output"] is None:
                    file_id = state._next_id("batch-out")
                    data = b"".join(json.dumps(r).encode() + b"\n" for r in results)
                    with state._lock:
                        state.files[file_id] = {
                            "name": f"files/{file_id}",
                            "mimeType": "application/jsonl",
                            "sizeBytes": str(len(data)),
                            "state": "ACTIVE",
                            "source": "GENERATED",
                            "downloadUri": f"{state.base_url}/download/v1beta/files/"
                            f"{file_id}:download?alt=media",
                            "data": data,
                        }
                    job["output"] = f"files/{file_id}"
                meta["output"] = {"responsesFile": job["output"]}
            else:
                meta["output"] = {"inlinedEmbedContentResponses": {"inlinedResponses": results}}
        return meta

    def _batch_get(self, job_id: str) -> None:
        state = self.server_state
        with state._lock:
            job = state.batches.get(f"batches/{job_id}")
            if job is not None:
                job["polls"] += 1
        if job is None:
            return self._error(404, f"batch batches/{job_id} not found")
        if job["polls"] <= state.batch_running_polls:
            phase = "RUNNING"
        else:
            phase = "FAILED" if state.fail_batches else "SUCCEEDED"
        reply: dict[str, Any] = {"name": job["name"], "metadata": self._batch_metadata(job, phase)}
        if phase != "RUNNING":
            reply["done"] = True
        self._reply(200, reply)

    def _download(self, file_id: str) -> None:
        state = self.server_state
        with state._lock:
            record = state.files.get(file_id)
        if record is None or record.get("deleted") or record.get("source") != "GENERATED":
            return self._error(404, f"file files/{file_id} cannot be downloaded")
        self._send_bytes(200, record["data"])

    # --- files ------------------------------------------------------------------------

    def _upload_start(self, body: dict[str, Any]) -> None:
        if self.headers.get("X-Goog-Upload-Protocol") != "resumable":
            return self._error(400, "only resumable uploads are supported by the fake")
        state = self.server_state
        upload_id = state._next_id("up")
        file = body.get("file", {}) if isinstance(body, dict) else {}
        with state._lock:
            state._uploads[upload_id] = _Upload(
                mime=self.headers.get("X-Goog-Upload-Header-Content-Type")
                or file.get("mimeType", file.get("mime_type", "application/octet-stream")),
                display_name=file.get("displayName", file.get("display_name", "")),
            )
        url = (
            f"{state.base_url}/upload/v1beta/files?upload_id={upload_id}&upload_protocol=resumable"
        )
        self._reply(200, {}, {"X-Goog-Upload-URL": url, "X-Goog-Upload-Status": "active"})

    def _upload_chunk(self, data: bytes) -> None:
        state = self.server_state
        upload_id = parse_qs(urlparse(self.path).query).get("upload_id", [""])[0]
        command = self.headers.get("X-Goog-Upload-Command", "")
        with state._lock:
            upload = state._uploads.get(upload_id)
            if upload is not None:
                upload.data.extend(data)
        if upload is None:
            return self._error(404, f"unknown upload {upload_id}")
        if "finalize" not in command:
            return self._reply(200, {}, {"X-Goog-Upload-Status": "active"})
        file_id = state._next_id("file")
        record = {
            "name": f"files/{file_id}",
            "displayName": upload.display_name,
            "mimeType": upload.mime,
            "sizeBytes": str(len(upload.data)),
            "uri": f"{state.base_url}/v1beta/files/{file_id}",
            "state": "PROCESSING",
            "sha256Hash": base64.b64encode(hashlib.sha256(upload.data).digest()).decode(),
        }
        with state._lock:
            state.files[file_id] = {**record, "data": bytes(upload.data)}
            del state._uploads[upload_id]
        self._reply(200, {"file": record}, {"X-Goog-Upload-Status": "final"})

    def _file_get(self, file_id: str) -> None:
        state = self.server_state
        with state._lock:
            record = state.files.get(file_id)
            polls = state._file_polls.get(file_id, 0) + 1
            state._file_polls[file_id] = polls
        if record is None or record.get("deleted"):
            return self._error(404, f"file files/{file_id} not found")
        public = {k: v for k, v in record.items() if k not in ("data", "deleted")}
        if polls > state.file_processing_polls:
            public["state"] = "ACTIVE"
        self._reply(200, public)

    # --- generation -------------------------------------------------------------------

    def _generate(self, body: dict[str, Any]) -> None:
        if not body.get("contents"):
            return self._error(400, "* GenerateContentRequest.contents: contents is not specified")
        reply = {
            "candidates": [
                {
                    "content": {
                        "role": "model",
                        "parts": [{"text": self.server_state.generate_text}],
                    },
                    "finishReason": "STOP",
                    "index": 0,
                }
            ],
            "usageMetadata": {
                "promptTokenCount": 10,
                "candidatesTokenCount": 9,
                "totalTokenCount": 19,
            },
            "modelVersion": "fake",
        }
        self._reply(200, reply)


def closed_port_url() -> str:
    """A loopback URL nothing listens on (bind, note the port, close)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@contextmanager
def serving(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGemini]:
    """Run a fake Gemini server and point the SDK's environment at it.

    ``GEMINI_API_KEY`` is set to the key the fake accepts, other Google variables are
    cleared, and ``GOOGLE_GEMINI_BASE_URL`` points at the fake, so even a client built
    without ``base_url`` never reaches a real host.
    """
    for var in (
        "GOOGLE_API_KEY",
        "GOOGLE_GENAI_USE_VERTEXAI",
        "GOOGLE_GENAI_USE_ENTERPRISE",
        "GOOGLE_CLOUD_PROJECT",
        "GOOGLE_CLOUD_LOCATION",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "GOOGLE_VERTEX_BASE_URL",
    ):
        monkeypatch.delenv(var, raising=False)
    fake = FakeGemini().start()
    monkeypatch.setenv("GEMINI_API_KEY", API_KEY)
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake.base_url)
    monkeypatch.setenv("GOOGLE_GENAI_API_VERSION", "v1beta")
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def gemini_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGemini]:
    """A running fake Gemini server (see :func:`serving`); import it into a conftest."""
    with serving(monkeypatch) as fake:
        yield fake


def main(argv: list[str] | None = None) -> None:
    """Serve the fake from its own process: ``python -m tests.fakes.gemini_server``.

    Prints the base URL on the first line of stdout. Benchmarks use it so that the fake's
    own work does not share the client's GIL; it also lets the app run against it by hand
    (``GOOGLE_GEMINI_BASE_URL=<url> GEMINI_API_KEY=test-key-0123456789``).
    """
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per embed call")
    parser.add_argument("--quota-tokens", type=int, default=0, help="tokens a minute (0: none)")
    args = parser.parse_args(argv)
    fake = FakeGemini()
    fake.latency_s = args.latency
    fake.quota_tokens_per_min = args.quota_tokens
    fake.start(args.port)
    print(fake.base_url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
