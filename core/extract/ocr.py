"""Offline OCR with RapidOCR (PP-OCRv4 ONNX models inside the ``rapidocr-onnxruntime`` wheel)."""

from __future__ import annotations

import importlib.util
import re
import threading
from typing import Any

import numpy as np

# PP-OCR works on a few megapixels; more only costs time. Callers hand in images reduced to
# about this long side (JPEG draft decoding makes that cheap even for 100 MP photos).
MAX_SIDE = 2000
MIN_SCORE = 0.5


def ocr_available() -> bool:
    return importlib.util.find_spec("rapidocr_onnxruntime") is not None


class RapidOcr:
    """Reads the text in an image, line by line; the ONNX sessions load on first use."""

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads
        self._engine: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._engine is None:
            import onnxruntime

            onnxruntime.disable_telemetry_events()  # and ORT_DISABLE_TELEMETRY (core/__init__)
            from rapidocr_onnxruntime import RapidOCR

            self._engine = RapidOCR(
                intra_op_num_threads=self.threads, inter_op_num_threads=self.threads
            )
        return self._engine

    def read(self, image: Any) -> str:
        img = image.convert("RGB")
        if max(img.size) > MAX_SIDE:
            img = img.copy()
            img.thumbnail((MAX_SIDE, MAX_SIDE))
        if min(img.size) < 8:
            return ""
        bgr = np.ascontiguousarray(np.asarray(img)[:, :, ::-1])  # the engine expects OpenCV's BGR
        with self._lock:
            result, _elapsed = self._load()(bgr)
        if not result:
            return ""
        boxes = [
            (box, text, float(score))
            for box, text, score in result
            if score >= MIN_SCORE and is_word_like(text)
        ]
        return "\n".join(_lines(boxes))


_WORD = re.compile(r"[^\W_]{2,}")  # two letters or digits in a row, any script
_SINGLE_WORDS = frozenset("aAI&")


def is_word_like(text: str) -> bool:
    """False for OCR fragments that are not words: a ring read as "O", a lone "|" or "-".

    A fragment stays when it has two letters or digits in a row (any script), a CJK
    character (one is a word), or is a one-letter word ("a", "I").
    """
    text = text.strip()
    if not text:
        return False
    if _WORD.search(text) or text in _SINGLE_WORDS:
        return True
    return any(ord(c) >= 0x2E80 and c.isalpha() for c in text)


def _lines(boxes: list[tuple[Any, str, float]]) -> list[str]:
    """Group word boxes into lines (similar vertical centre), left to right, top to bottom."""
    items = []
    for box, text, _score in boxes:
        ys = [p[1] for p in box]
        xs = [p[0] for p in box]
        items.append(((min(ys) + max(ys)) / 2, max(ys) - min(ys), min(xs), text.strip()))
    items.sort()
    lines: list[list[tuple[float, str]]] = []
    centre = height = None
    for cy, h, x, text in items:
        if not text:
            continue
        if centre is not None and height is not None and abs(cy - centre) <= 0.5 * height:
            lines[-1].append((x, text))
        else:
            lines.append([(x, text)])
            centre, height = cy, max(h, 1.0)
    return [" ".join(t for _, t in sorted(line)) for line in lines]
