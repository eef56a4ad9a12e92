"""The preview pane: the note rendered, the image, the PDF page, the media player.

Loading (reading a note, decoding a photo, rendering a page, a video's frame) is a pure
function run on the bridge's query lane; the pane only shows what comes back. Audio and
video get a small player paused at the matched segment when QtMultimedia is installed;
without it the pane shows the segment's picture and says where to look.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QGuiApplication,
    QImage,
    QImageReader,
    QPainter,
    QPaintEvent,
    QPixmap,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.model import Hit, Locator, clock
from desktop.elided import ElidedLabel
from desktop.pdf_view import PdfView
from desktop.player import MediaPlayer, PlayerFactory
from desktop.results import format_date, format_locator, time_range
from desktop.thumbnails import render_thumbnail

MAX_TEXT = 400_000  # characters of a note shown; more is slow to lay out and never read here
MAX_SIDE = 1600
PAGE_SIDE = 1200  # a PDF page in the preview: readable, and cached on disk like thumbnails
POSTER_SIDE = 640  # a video's frame or an audio segment's waveform


@dataclass
class Loaded:
    """What ``load_preview`` produced for one hit."""

    path: str
    kind: str  # markdown | text | image | media | empty
    text: str = ""
    image: QImage | None = None
    note: str = ""  # a line under the preview ("page 4 of 12")
    page: int = 0  # PDFs: the page shown (1-based), of ``pages``, with the words' boxes
    pages: int = 0
    marks: list[tuple[float, float, float, float]] = field(default_factory=list)


def load_pdf_page(path: str, page: int, width: int, terms: Sequence[str] = ()) -> Loaded:
    """One page of a PDF at ``width`` device pixels, the query's words marked (any thread)."""
    from core.pdfpage import render_page

    r = render_page(Path(path), page, width, terms)
    image = QImage(r.rgb, r.width, r.height, 3 * r.width, QImage.Format.Format_RGB888).copy()
    return Loaded(path, "pdf", image=image, page=r.page, pages=r.pages, marks=r.marks)


def load_preview(
    path: str,
    kind: str,
    locator: Locator,
    cache_dir: Path,
    terms: Sequence[str] = (),
    width: int = PAGE_SIDE,
) -> Loaded:
    """Read or render ``path`` for the preview (runs on a worker thread).

    A PDF shows the page of the hit's window where the query's words are, ``width`` device
    pixels wide; frames and waveforms come from ``core.thumbs`` (cached in ``cache_dir``).
    """
    from core.scan import fs_path

    real = fs_path(path)  # ``path`` is the index key; ``real`` opens a non-UTF-8 name too
    if kind == "note":
        with open(real, encoding="utf-8", errors="replace") as f:
            text = f.read(MAX_TEXT)
        is_md = Path(path).suffix.lower() in (".md", ".markdown", ".mdown")
        return Loaded(path, "markdown" if is_md else "text", text=text)
    if kind == "image":
        reader = QImageReader(real)
        reader.setAutoTransform(True)
        size = reader.size()
        if size.isValid() and max(size.width(), size.height()) > MAX_SIDE:
            reader.setScaledSize(
                size.scaled(QSize(MAX_SIDE, MAX_SIDE), Qt.AspectRatioMode.KeepAspectRatio)
            )
        image = reader.read()
        if image.isNull():
            raise OSError(reader.errorString())
        note = f"{size.width()} × {size.height()}" if size.isValid() else ""
        return Loaded(path, "image", image=image, note=note)
    if kind == "pdf":
        from core.pdfpage import best_page

        first, last = (list(locator.get("pages") or [1, 1]) + [0])[:2]
        page = best_page(Path(path), int(first), int(last or first), terms)
        return load_pdf_page(path, page, width, terms)
    if kind in ("audio", "video"):
        poster = render_thumbnail(path, kind, locator, cache_dir, POSTER_SIDE)
        return Loaded(path, "media", image=poster)
    return Loaded(path, "empty", note="No preview for this kind of file yet")


class ImageView(QWidget):
    """Paints a pixmap scaled to fit, centred, never larger than it is."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pixmap: QPixmap | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(90)  # an 800×560 window still shows the recall list

    def set_image(self, image: QImage | None) -> None:
        self._pixmap = QPixmap.fromImage(image) if image is not None else None
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        if self._pixmap is None or self._pixmap.isNull():
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        area = QRectF(self.rect()).adjusted(8, 8, -8, -8)
        size = self._pixmap.size().toSizeF()
        ratio = self._pixmap.devicePixelRatioF()
        size = size / ratio
        scale = min(1.0, area.width() / size.width(), area.height() / size.height())
        w, h = size.width() * scale, size.height() * scale
        target = QRectF(area.x() + (area.width() - w) / 2, area.y() + (area.height() - h) / 2, w, h)
        painter.drawPixmap(target, self._pixmap, QRectF(self._pixmap.rect()))
        painter.end()


class LaunchNotice(QFrame):
    """A quiet line under Open / Show in folder when the desktop could not do it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("launchNotice")
        self.path = ""
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 6, 6)
        row.setSpacing(8)
        self.message = QLabel("")
        self.message.setObjectName("noticeText")
        self.message.setWordWrap(True)
        self.message.setMinimumWidth(1)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row.addWidget(self.message, 1)
        self.copy_button = QPushButton("Copy path")
        self.copy_button.setObjectName("copyPath")
        self.copy_button.setToolTip("Copy the file's full path to the clipboard")
        self.copy_button.clicked.connect(self.copy_path)
        row.addWidget(self.copy_button)
        self.close_button = QToolButton()
        self.close_button.setObjectName("noticeClose")
        self.close_button.setText("✕")
        self.close_button.setToolTip("Dismiss")
        self.close_button.setAutoRaise(True)
        self.close_button.clicked.connect(self.hide)
        row.addWidget(self.close_button)
        self.hide()

    def show_failure(self, path: str, action: str) -> None:
        self.path = path
        name = os.path.basename(path) or path
        what = (
            f"Could not open {name}: this desktop has no default application for it"
            if action == "open"
            else f"Could not show {name} in its folder: no file manager answered"
        )
        self.message.setText(f"{what}. Copy the path to open it yourself.")
        self.message.setToolTip(path)
        self.copy_button.setText("Copy path")
        self.show()

    def copy_path(self) -> None:
        QGuiApplication.clipboard().setText(self.path)
        self.copy_button.setText("Copied")


class PreviewPane(QWidget):
    """``player_factory`` None: no QtMultimedia, media is opened in the default app."""

    open_requested = Signal(str)
    reveal_requested = Signal(str)

    def __init__(
        self, player_factory: PlayerFactory | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("previewPane")
        self.hit: Any = None
        self.player: MediaPlayer | None = player_factory() if player_factory else None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 8)
        layout.setSpacing(6)
        self.title = ElidedLabel("Preview")
        self.title.setObjectName("paneTitle")
        layout.addWidget(self.title)
        self.subtitle = QLabel("")
        self.subtitle.setObjectName("paneSubtitle")
        self.subtitle.setWordWrap(True)
        layout.addWidget(self.subtitle)
        self.stack = QStackedWidget()
        self.placeholder = QLabel("Select a result to preview it here")
        self.placeholder.setObjectName("placeholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.browser = QTextBrowser()
        self.browser.setObjectName("noteView")
        self.browser.setOpenExternalLinks(True)
        self.browser.setAcceptDrops(False)
        self.browser.document().setDocumentMargin(12)
        self.image = ImageView()
        self.pdf = PdfView()
        for w in (self.placeholder, self.browser, self.image, self.pdf):
            self.stack.addWidget(w)
        if self.player is not None:
            self.stack.addWidget(self.player.video)
            self.player.playing_changed.connect(self._on_playing_changed)
        layout.addWidget(self.stack, 1)
        self.media_hint = QLabel("")  # where to look, when the default app plays it
        self.media_hint.setObjectName("mediaHint")
        self.media_hint.setWordWrap(True)
        layout.addWidget(self.media_hint)
        if self.player is not None:
            layout.addWidget(self.player)
        buttons = QHBoxLayout()
        self.open_button = QPushButton("Open")
        self.open_button.setToolTip("Open with the default application (Enter)")
        self.open_button.clicked.connect(
            lambda: self.hit and self.open_requested.emit(self.hit.path)
        )
        self.reveal_button = QPushButton("Show in folder")
        self.reveal_button.setToolTip("Show in the file manager (Ctrl+Enter)")
        self.reveal_button.clicked.connect(
            lambda: self.hit and self.reveal_requested.emit(self.hit.path)
        )
        self.note = QLabel("")
        self.note.setObjectName("paneSubtitle")
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.reveal_button)
        buttons.addStretch(1)
        buttons.addWidget(self.note)
        layout.addLayout(buttons)
        self.notice = LaunchNotice()
        layout.addWidget(self.notice)
        self.show_hit(None)

    def show_launch_failure(self, path: str, action: str) -> None:
        """Open or Show in folder did nothing (no launcher): say so, offer the path."""
        self.notice.show_failure(path, action)

    def show_hit(self, hit: Any, folder: str = "") -> None:
        """Say what is selected at once; the content follows via ``show_loaded``."""
        self.hit = hit
        if hit is None or hit.path != self.notice.path:
            self.notice.hide()
        enabled = hit is not None
        self.open_button.setEnabled(enabled)
        self.reveal_button.setEnabled(enabled)
        self.note.setText("")
        self.media_hint.hide()
        if self.player is not None:
            self.player.hide()
            if hit is None or hit.path != self.player.path:
                self.player.stop()  # another file: let go of this one
        self.open_button.setToolTip("Open with the default application (Enter)")
        if hit is None:
            self.title.setText("Preview")
            self.subtitle.setText("")
            self.stack.setCurrentWidget(self.placeholder)
            return
        self.title.setText(hit.title or os.path.basename(hit.path))
        parts = [folder, format_date(hit.modified), format_locator(hit.locator)]
        self.subtitle.setText("  ·  ".join(p for p in parts if p))
        self.subtitle.setToolTip(hit.path)
        when = time_range(hit.locator)
        if when:  # Enter plays it here when it can; the default app starts at the beginning
            enter = "" if self.can_play(hit) else "Enter; "
            self.open_button.setToolTip(
                f"Open with the default application ({enter}the match is at {when})"
            )

    def show_loaded(self, loaded: Loaded) -> None:
        if self.hit is None or loaded.path != self.hit.path:
            return
        self.note.setText(loaded.note)
        if loaded.kind in ("markdown", "text"):
            doc = self.browser.document()
            if loaded.kind == "markdown":
                doc.setMarkdown(loaded.text, QTextDocument.MarkdownFeature.MarkdownDialectGitHub)
            else:
                doc.setPlainText(loaded.text)
            self.stack.setCurrentWidget(self.browser)
            self._scroll_to_heading()
        elif loaded.kind == "image":
            self.image.set_image(loaded.image)
            self.stack.setCurrentWidget(self.image)
        elif loaded.kind == "pdf" and loaded.image is not None:
            self.stack.setCurrentWidget(self.pdf)  # first: the page is laid out at its width
            self.pdf.show_page(loaded.image, loaded.page, loaded.pages, loaded.marks)
            self.note.setText("")  # the page number is in the PDF bar
        elif loaded.kind == "media":
            self._show_media(loaded)
        else:
            self.placeholder.setText(loaded.note)
            self.stack.setCurrentWidget(self.placeholder)

    # ---- audio and video ----

    def can_play(self, hit: Hit) -> bool:
        """True when ``hit`` is a moment in audio/video that the pane's player can play."""
        return self.player is not None and bool(time_range(hit.locator))

    def play(self, hit: Any) -> None:
        """Play ``hit`` here from its segment's start (the file is opened if it is not yet)."""
        assert self.player is not None
        start, end = (float(s) for s in hit.locator["seconds"][:2])
        self.player.load(hit.path, (start, end))
        self.player.show()
        self.player.play_segment()

    def _show_media(self, loaded: Loaded) -> None:
        hit = self.hit
        self.image.set_image(loaded.image)  # the segment's frame or waveform
        self.stack.setCurrentWidget(self.image)
        when = time_range(hit.locator)
        if self.player is not None and when:
            start, end = (float(s) for s in hit.locator["seconds"][:2])
            self.player.load(hit.path, (start, end))
            self.player.show()
            self._on_playing_changed(self.player.is_playing())
        elif when:
            at = clock(float(hit.locator["seconds"][0]))
            self.media_hint.setText(
                f"The match is at <b>{when}</b>. Open plays the file in your default player: "
                f"skip to {at}."
            )
            self.media_hint.show()

    def _on_playing_changed(self, playing: bool) -> None:
        if self.hit is not None and self.player is not None and self.hit.kind == "video":
            if playing:  # the picture moves now: show it live (paused, it keeps the frame)
                self.stack.setCurrentWidget(self.player.video)

    def shutdown(self) -> None:
        if self.player is not None:
            self.player.stop()

    def show_error(self, message: str) -> None:
        self.placeholder.setText(f"Cannot preview this file:\n{message}")
        self.stack.setCurrentWidget(self.placeholder)

    def _scroll_to_heading(self) -> None:
        self.browser.moveCursor(self.browser.textCursor().MoveOperation.Start)
        heading = str((self.hit.locator or {}).get("heading", "")).split(" › ")[-1].strip()
        if heading:
            found = self.browser.document().find(heading)
            if not found.isNull():
                # land on the heading, with a line of context above it
                self.browser.setTextCursor(found)
                self.browser.ensureCursorVisible()
            self.browser.moveCursor(self.browser.textCursor().MoveOperation.StartOfBlock)
