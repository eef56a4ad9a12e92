"""Thumbnails: made off the GUI thread, cached on disk by path + mtime + size.

``render_thumbnail`` builds a ``QImage`` (safe on any thread); ``Thumbnailer`` queues the
work, turns results into pixmaps on the GUI thread and says ``ready(path)`` so views
repaint. Until then views draw the file type's icon: scrolling never waits.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from PySide6.QtCore import QObject, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QImageReader, QPainter, QPixmap, QTextOption

from desktop.worker import Executor, PoolExecutor

SIZE = 256  # pixels of the longer side; views scale down, high-DPI screens stay sharp
# pdfium is not thread-safe: every render in this process goes through this lock.
PDFIUM_LOCK = threading.Lock()


def cache_key(path: str, mtime: float, size: int) -> str:
    return hashlib.sha1(f"{path}\0{mtime!r}\0{size}".encode()).hexdigest()


def render_image(path: str, size: int = SIZE) -> QImage | None:
    reader = QImageReader(path)
    reader.setAutoTransform(True)  # EXIF orientation: portrait photos stand up
    full = reader.size()
    if full.isValid() and (full.width() > size or full.height() > size):
        scaled = full.scaled(QSize(size, size), Qt.AspectRatioMode.KeepAspectRatio)
        reader.setScaledSize(scaled)  # decoders like JPEG scale while decoding: fast
    image = reader.read()
    return None if image.isNull() else image


def render_pdf_page(path: str, page: int = 0, width: int = SIZE) -> QImage | None:
    """Page ``page`` (0-based) rendered ``width`` pixels wide."""
    import pypdfium2 as pdfium

    with PDFIUM_LOCK:
        doc = pdfium.PdfDocument(path)
        try:
            page = max(0, min(page, len(doc) - 1))
            pg = doc[page]
            scale = width / max(1.0, pg.get_width())
            bitmap = pg.render(scale=scale)
            pil = bitmap.to_pil().convert("RGBA")
            pg.close()
        finally:
            doc.close()
    data = pil.tobytes("raw", "RGBA")
    image = QImage(data, pil.width, pil.height, pil.width * 4, QImage.Format.Format_RGBA8888)
    return image.copy()  # own the pixels: ``data`` dies with this frame


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
    p.setPen(QColor("#4f7cff"))
    p.fillRect(QRectF(0, 0, w, size * 0.025), QColor("#4f7cff"))
    p.end()
    return image


def render_thumbnail(path: str, kind: str, size: int = SIZE) -> QImage | None:
    """A thumbnail for an image or PDF (any thread); None for kinds drawn otherwise."""
    if kind == "image":
        return render_image(path, size)
    if kind == "pdf":
        return render_pdf_page(path, 0, int(size * 0.78))
    return None  # notes: render_note on the GUI thread; audio/video: the type icon for now


class ThumbnailCache:
    """PNG files under ``folder`` named by a hash of path, mtime and size."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _file(self, path: str) -> Path | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        return self.folder / f"{cache_key(path, st.st_mtime, st.st_size)}.png"

    def get(self, path: str) -> QImage | None:
        file = self._file(path)
        if file is None or not file.exists():
            return None
        image = QImage(str(file))
        return None if image.isNull() else image

    def put(self, path: str, image: QImage) -> None:
        file = self._file(path)
        if file is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = file.with_suffix(f".{threading.get_ident()}.tmp")
        if image.save(str(tmp), "PNG"):
            os.replace(tmp, file)


class Thumbnailer(QObject):
    """Pixmaps for paths, generated in the background; ``ready(path)`` when one arrives."""

    ready = Signal(str)
    _made = Signal(str, object)  # path, QImage | note text | None — from a worker thread

    def __init__(
        self,
        cache: ThumbnailCache,
        executor: Executor | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.cache = cache
        self._executor = executor or PoolExecutor(2)
        self._pixmaps: dict[str, QPixmap | None] = {}
        self._pending: set[str] = set()
        self._closed = False
        self._made.connect(self._on_made)

    def pixmap(self, path: str, kind: str) -> QPixmap | None:
        """The thumbnail if it is ready; otherwise None, and it is queued once."""
        if path in self._pixmaps:
            return self._pixmaps[path]
        if path not in self._pending and kind in ("image", "pdf", "note") and not self._closed:
            self._pending.add(path)
            self._executor.submit(lambda: self._make(path, kind))
        return None

    def forget(self) -> None:
        """Drop the in-memory pixmaps (after a rescan changed files)."""
        self._pixmaps.clear()

    def _make(self, path: str, kind: str) -> None:
        if kind == "note":
            if not self._closed:
                self._made.emit(path, read_note(path) or "")
            return
        image = self.cache.get(path)
        if image is None:
            try:
                image = render_thumbnail(path, kind)
            except Exception:
                image = None  # unreadable: the type icon stands in
            if image is not None:
                self.cache.put(path, image)
        if not self._closed:
            self._made.emit(path, image)

    def _on_made(self, path: str, image: QImage | str | None) -> None:
        self._pending.discard(path)
        if isinstance(image, str):  # a note's text: typeset here, on the GUI thread
            image = render_note(path, image) if image else None
        self._pixmaps[path] = QPixmap.fromImage(image) if image is not None else None
        self.ready.emit(path)

    def shutdown(self, msecs: int = 10000) -> bool:
        """Queue nothing more and wait for the renders in flight."""
        self._closed = True
        return self._executor.wait(msecs)
