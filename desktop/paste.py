"""Pasted and dropped images: saved as PNG files in a private folder, searched by file."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QImage

TEXT_DROP_LIMIT = 2000


def dropped(mime: QMimeData) -> Path | QImage | str:
    """What a drop searches for: the first local file, else an image, else the text (its
    whitespace folded, ``TEXT_DROP_LIMIT`` characters at most); '' when none of these."""
    files = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
    files = [f for f in files if f.is_file()]
    if files:
        return files[0]
    if mime.hasImage():
        return QImage(mime.imageData())
    if mime.hasText() and mime.text().strip():
        return " ".join(mime.text().split())[:TEXT_DROP_LIMIT]
    return ""


class PasteFolder:
    """Where pasted images are kept while the app runs (a temporary folder, made on first use
    and removed by ``cleanup()``; a given ``folder`` is the caller's and is left in place)."""

    def __init__(self, folder: Path | None = None) -> None:
        self._folder = folder
        self._own = folder is None

    def save(self, image: QImage) -> Path | None:
        """``image`` as a new PNG file, or None for an empty image."""
        if image.isNull():
            return None
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="loci-paste-"))
        self._folder.mkdir(parents=True, exist_ok=True)
        # A plain counter, not a timestamp: the name's words become part of the query.
        n = 1
        while (path := self._folder / f"pasted-image-{n}.png").exists():
            n += 1
        image.save(str(path))  # PNG, from the suffix
        return path

    def cleanup(self) -> None:
        if self._own and self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
