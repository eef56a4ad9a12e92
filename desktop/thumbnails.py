"""Thumbnails: made off the GUI thread by ``core.thumbs``, shown as pixmaps when ready.

``core.thumbs.thumbnail`` draws the picture for where a hit sits (the page of a PDF window,
the frame in the middle of a video segment, the waveform of an audio segment, the upright
photo) and caches it on disk by file state and locator; it uses Pillow and PyAV, no Qt, so
it is safe on the workers. Notes are typeset here with ``QPainter`` on the GUI thread:
drawing text into images on worker threads crashed (fontconfig, offscreen, two workers).

``Thumbnailer`` queues the work and says ``ready(path)`` when a pixmap arrives; until then
views draw the file type's icon, so scrolling never waits.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QObject, QRectF, QSize, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPixmap, QTextOption

from core.model import Locator
from core.thumbs import thumbnail
from desktop.tasks import Executor, PoolExecutor, Tasks

SIZE = 256  # pixels of the longer side; views scale down, high-DPI screens stay sharp
MADE_BY_CORE = ("image", "pdf", "audio", "video")


def render_thumbnail(
    path: str, kind: str, locator: Locator, cache_dir: Path, size: int = SIZE
) -> QImage | None:
    """The picture for a hit (any thread); None for notes and unreadable files."""
    if kind not in MADE_BY_CORE:
        return None
    data = thumbnail(Path(path), kind, locator.copy(), cache_dir, size)
    if data is None:
        return None
    image = QImage.fromData(data)  # decoding JPEG/PNG is reentrant; no fonts involved
    return None if image.isNull() else image


def read_note(path: str) -> str | None:
    """The start of a note, for its thumbnail (any thread)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read(1200)
    except OSError:
        return None


def render_note(path: str, text: str | None = None, size: int = SIZE) -> QImage | None:
    """A small page with the note's first lines: notes look like notes, not like icons.

    GUI thread only: Qt's text rendering into a QImage from worker threads crashed here
    (fontconfig offscreen, two workers at once), so workers only read the text.
    """
    text = read_note(path) if text is None else text
    if text is None:
        return None
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    title = lines[0].lstrip("#").strip() if lines else Path(path).stem
    body = " ".join(ln.lstrip("#-*> ").strip() for ln in lines[1:])
    w, h = int(size * 0.78), size
    image = QImage(QSize(w, h), QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor("#fdfcf8"))
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    margin = size * 0.08
    font = QFont()
    font.setPixelSize(int(size * 0.085))
    font.setBold(True)
    p.setFont(font)
    p.setPen(QColor("#1f2430"))
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    title_rect = QRectF(margin, margin, w - 2 * margin, size * 0.24)
    p.drawText(title_rect, title[:60], option)
    font.setBold(False)
    font.setPixelSize(int(size * 0.06))
    p.setFont(font)
    p.setPen(QColor("#5b6170"))
    p.drawText(
        QRectF(margin, margin + size * 0.27, w - 2 * margin, h - margin * 2.5 - size * 0.27),
        body[:600],
        option,
    )
    p.fillRect(QRectF(0, 0, w, size * 0.025), QColor("#4f7cff"))
    p.end()
    return image


def thumb_key(path: str, kind: str, locator: Locator | None) -> str:
    """One entry per picture: a video's segments (a PDF's windows) each get their own."""
    if kind in ("note", "image") or not locator:
        return path
    return f"{path}\0{json.dumps(locator, sort_keys=True, default=str)}"


class Thumbnailer(QObject):
    """Pixmaps for hits, generated in the background; ``ready(path)`` when one arrives."""

    ready = Signal(str)

    def __init__(
        self,
        cache_dir: Path,
        executor: Executor | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.cache_dir = cache_dir
        self._tasks = Tasks(executor or PoolExecutor(2), self)
        self._pixmaps: dict[str, QPixmap | None] = {}
        self._pending: set[str] = set()
        self._closed = False

    def pixmap(self, path: str, kind: str, locator: Locator | None = None) -> QPixmap | None:
        """The thumbnail if it is ready; otherwise None, and it is queued once."""
        key = thumb_key(path, kind, locator)
        if key in self._pixmaps:
            return self._pixmaps[key]
        wanted = kind == "note" or kind in MADE_BY_CORE
        if key not in self._pending and wanted and not self._closed:
            self._pending.add(key)
            spot = locator.copy() if locator else Locator()
            self._tasks.run(
                lambda: self._make(path, kind, spot),
                lambda made: self._on_made(key, path, made),
            )
        return None

    def forget(self) -> None:
        """Drop the in-memory pixmaps (after a rescan changed files)."""
        self._pixmaps.clear()

    def _make(self, path: str, kind: str, locator: Locator) -> QImage | str | None:
        """On a worker: the image, or a note's text (typeset on the GUI thread), or None."""
        if kind == "note":
            return read_note(path) or ""
        try:
            return render_thumbnail(path, kind, locator, self.cache_dir)
        except Exception:
            return None  # unreadable: the type icon stands in

    def _on_made(self, key: str, path: str, made: QImage | str | None) -> None:
        self._pending.discard(key)
        if isinstance(made, str):  # a note's text: typeset here, on the GUI thread
            made = render_note(path, made) if made else None
        self._pixmaps[key] = QPixmap.fromImage(made) if made is not None else None
        self.ready.emit(path)

    def shutdown(self, msecs: int = 10000) -> bool:
        """Queue nothing more and wait for the renders in flight."""
        self._closed = True
        self._tasks.close()
        return self._tasks.wait(msecs)
