"""Test helpers: a deterministic embedder and small generated files."""

from __future__ import annotations

import hashlib
import re
import threading
import zlib
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from core.embed.base import EmbedError, Query, normalise
from core.extract.readers import Readers
from core.model import Piece, drive

# No OCR, speech or photo-tag model: media are indexed by name, folder, date and time. For
# tests of something else; the real models are tested in tests/core/test_media*.py.
NO_MODELS = Readers(media_bytes=False)


class HashEmbedder:
    """Deterministic bag-of-words vectors: texts sharing words are close, others are not.

    Counts every piece it embeds (``calls``) so tests can assert what was (not) embedded.
    ``fail_on`` makes pieces whose text contains that string raise an EmbedError.
    """

    provider = "test"
    model_id = "hash-v1"
    modalities = frozenset({"text"})
    score_floor = 0.2
    recall_floor = 0.2
    photo_recall_floor = 0.2

    def __init__(self, dims: int = 64, fail_on: str = "", transient: bool = False) -> None:
        self.dims = dims
        self.calls = 0
        self.fail_on = fail_on
        self.transient = transient
        self._lock = threading.Lock()

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dims, dtype=np.float32)
        for word in re.findall(r"\w+", text.lower()):
            h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
            v[h % self.dims] += 1.0 if (h >> 32) & 1 else -1.0
        if not v.any():
            v[zlib.crc32(text.encode()) % self.dims] = 1.0
        return normalise(v)

    def embed_documents(self, pieces: Sequence[Piece]) -> np.ndarray:
        for p in pieces:
            if self.fail_on and self.fail_on in p.text:
                raise EmbedError(f"refused: {self.fail_on}", transient=self.transient)
        with self._lock:
            self.calls += len(pieces)
        if not pieces:
            return np.zeros((0, self.dims), dtype=np.float32)
        return np.stack([self._vec(f"{p.title} {p.text}") for p in pieces])

    def embed_query(self, query: Query) -> np.ndarray:
        return self._vec(query.text)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def make_pdf(path: Path, pages: Sequence[str]) -> Path:
    """A minimal valid PDF with one line of Helvetica text per page (a real text layer)."""
    objects: list[bytes] = []
    n = len(pages)
    font_id = 3 + 2 * n
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode())
    for i, text in enumerate(pages):
        safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream = f"BT /F1 12 Tf 50 700 Td ({safe}) Tj ET".encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font_id} 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(out))
    return path


def make_image(path: Path, size: tuple[int, int] = (64, 48), taken: str = "") -> Path:
    from PIL import Image

    img = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    if taken:
        exif[306] = taken
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, exif=exif) if path.suffix.lower() in (".jpg", ".jpeg") else img.save(path)
    return path


def drain(gen: Generator[Any, None, Any]) -> Any:
    """Run a progress generator to its end; what it returns (an IndexReport, say)."""
    return drive(gen)
