"""The Gemini Batch API: keyed pieces sent as jobs (half price, slower), results by key.

Each request goes in an uploaded JSON Lines input file as ``{"key", "request"}`` and its
result comes back under the same key, so results are matched to pieces by key, never by
position, and a later process can collect them (``core.batch`` keeps the jobs in the
index's state and drives submitting and collecting).
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from core.embed.base import EmbedError, normalise
from core.embed.gemini_files import Files
from core.embed.gemini_retry import Gone
from core.model import Piece

if TYPE_CHECKING:
    from google import genai
    from google.genai import types

log = logging.getLogger(__name__)

# A batch job's JSON Lines input file: the Files API takes 2 GB a file; stay well below.
BATCH_FILE_LIMIT = 1_000_000_000

__all__ = ["BATCH_FILE_LIMIT", "BatchResult", "Batches"]


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


@dataclass
class Batches:
    """Batch jobs for one provider's model and dimensionality.

    ``client`` gives the SDK client, ``call`` runs a request with the provider's
    retries, ``files`` uploads and deletes, and ``document_parts`` turns a piece into the
    parts of its Content (and the names of files uploaded for it).
    """

    model_id: str
    dims: int
    client: Callable[[], genai.Client]
    call: Callable[..., Any]
    files: Files
    document_parts: Callable[[genai.Client, Piece], tuple[list[types.Part], list[str]]]
    file_limit: int = BATCH_FILE_LIMIT

    def submit(
        self, items: Sequence[tuple[str, Piece]], display_name: str = "loci-index"
    ) -> list[dict[str, Any]]:
        """Start jobs for keyed pieces; one record per job.

        Requests are split over several jobs so that no input file exceeds
        ``file_limit``. A piece that breaks the per-request limits is left out: the
        ingesting run embeds it online and records its error.

        Returns:
            ``[{"name": job, "cleanup": [uploaded file names], "keys": [its keys]}]``.

        Raises:
            EmbedError: no job could be created (files uploaded for it are deleted).
        """
        from google.genai import types

        if not items:
            raise ValueError("no pieces to submit")
        client = self.client()
        chunks: list[_Chunk] = [_Chunk()]
        try:
            for key, piece in items:
                try:
                    parts, files = self.document_parts(client, piece)
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
                if chunks[-1].lines and chunks[-1].size + len(line) > self.file_limit:
                    chunks.append(_Chunk())
                chunks[-1].add(key, line, files)
        except BaseException:
            self.files.delete(client, [n for c in chunks for n in c.uploads])
            raise
        jobs: list[dict[str, Any]] = []
        chunks = [c for c in chunks if c.lines]
        for number, chunk in enumerate(chunks, start=1):
            name = f"{display_name}-{number}" if len(chunks) > 1 else display_name
            try:
                jobs.append(self._create_job(client, chunk, name))
            except EmbedError:
                self.files.delete(client, [n for c in chunks[number - 1 :] for n in c.uploads])
                if not jobs:
                    raise
                # The jobs already created stand; the rest of the pieces are not in any
                # job and the ingesting run embeds them online.
                log.warning("batch: only %d of %d jobs could be created", len(jobs), len(chunks))
                break
        return jobs

    def _create_job(self, client: genai.Client, chunk: _Chunk, display_name: str) -> dict[str, Any]:
        from google.genai import types

        input_name, _ = self.files.upload(client, b"".join(chunk.lines), "jsonl", display_name)
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
            job = self.call(create, "batch")
        except EmbedError:
            self.files.delete(client, [input_name])
            raise
        if not job.name:
            self.files.delete(client, [input_name])
            raise EmbedError("the Batch API returned a job without a name")
        return {"name": job.name, "cleanup": cleanup, "keys": chunk.keys}

    def poll(self, job_name: str) -> BatchResult | None:
        """None while the job runs; once it has ended, what it returned, by key.

        A job that failed, was cancelled or expired ends with no vectors. An item
        without a usable vector (an error, a wrong size, missing) is simply absent from
        ``vectors``; ``errors`` says why when the service did.

        Raises:
            EmbedError: the job could not be read (transient while the network is down).
        """
        from google.genai import types

        client = self.client()
        try:
            job = self.call(lambda: client.batches.get(name=job_name), "batch")
        except Gone as exc:
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
            raw = self.call(lambda: client.files.download(file=out), "file")
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
                vectors[key] = normalise(np.asarray([values], dtype=np.float32))[0]
        return BatchResult(vectors, errors, "")
