"""The Gemini Files API: media too large to send inline, and batch jobs' input files.

An upload is polled until the service has processed it (``ACTIVE``); uploads are deleted
once the call that used them is done (the service expires them after 48 h anyway).
"""

from __future__ import annotations

import io
import logging
import math
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from core.embed.base import EmbedError

if TYPE_CHECKING:
    from google import genai

log = logging.getLogger(__name__)

__all__ = ["Files"]


class Files:
    """Uploads and deletes files for one provider.

    Args:
        call: runs one API request with the provider's retries
            (:meth:`core.embed.gemini_retry.Retrying.call`).
        poll_s, timeout_s: how often and how long to wait for an upload to become ACTIVE.
        sleep: waits between polls (tests pass a recorder).
    """

    def __init__(
        self,
        call: Callable[..., Any],
        poll_s: float = 2.0,
        timeout_s: float = 600.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._call = call
        self.poll_s = poll_s
        self.timeout_s = timeout_s
        self._sleep = sleep

    def upload(
        self, client: genai.Client, data: bytes, mime: str, display_name: str = "loci"
    ) -> tuple[str, str]:
        """Upload one medium (or a batch input file); wait till ACTIVE. Its name and URI."""
        from google.genai import types

        config = types.UploadFileConfig(mime_type=mime, display_name=display_name)
        file = self._call(lambda: client.files.upload(file=io.BytesIO(data), config=config))
        name = file.name or ""
        polls = max(1, math.ceil(self.timeout_s / max(self.poll_s, 1e-3)))
        for _ in range(polls):
            if file.state == types.FileState.ACTIVE and file.uri:
                return name, file.uri
            if file.state == types.FileState.FAILED:
                error = file.error.message if file.error else "processing failed"
                raise EmbedError(f"Gemini could not process the {mime} file: {error}")
            self._sleep(self.poll_s)
            file = self._call(lambda: client.files.get(name=name), "file")
        raise EmbedError(
            f"the uploaded {mime} file was not ready after {self.timeout_s:.0f}s",
            transient=True,
        )

    @staticmethod
    def delete(client: genai.Client, names: Sequence[str]) -> None:
        """Delete uploaded files; a failure is logged, never raised."""
        # Courtesy cleanup: the service expires uploads after 48 h anyway, so a failure
        # here must not fail the embedding.
        for name in names:
            try:
                client.files.delete(name=name)
            except Exception:  # noqa: BLE001
                log.debug("could not delete uploaded file %s", name)
