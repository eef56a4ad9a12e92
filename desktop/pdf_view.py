"""The PDF preview: the matched page at the panel's width, page up/down, zoom, highlights.

Pages are rendered by ``core.pdfpage`` on the bridge's preview lane; this widget only asks
for a page at a width (``requested``) and shows what comes back (``show_page``).
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QPixmap,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

ZOOMS = [1.0, 1.25, 1.5, 2.0, 3.0]  # × the panel's width ("fit width" is 1.0)
RERENDER_MS = 150


class _Page(QWidget):
    """One page's pixmap, scaled to this widget's width, with the found words marked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pixmap: QPixmap | None = None
        self.marks: list[tuple[float, float, float, float]] = []
        self.ratio = 1.3  # height / width until a page arrives

    def set_page(self, image: QImage, marks: list[tuple[float, float, float, float]]) -> None:
        self.pixmap = QPixmap.fromImage(image)
        self.marks = marks
        self.ratio = image.height() / max(1, image.width())
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        if self.pixmap is None:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        target = QRectF(self.rect())
        painter.drawPixmap(target, self.pixmap, QRectF(self.pixmap.rect()))
        mark = QColor(255, 200, 0, 90)
        edge = QColor(230, 150, 0, 200)
        painter.setPen(edge)
        w, h = target.width(), target.height()
        for x, y, mw, mh in self.marks:
            box = QRectF(x * w - 2, y * h - 2, mw * w + 4, mh * h + 4)
            painter.fillRect(box, mark)
            painter.drawRect(box)
        painter.end()


class PdfView(QWidget):
    """Page n of N with ◀ ▶ (PageUp/PageDown), zoom − + and fit width (Ctrl+-, Ctrl+=, Ctrl+0)."""

    requested = Signal(int, int)  # page (1-based), width in device pixels

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pdfView")
        self.page = 1
        self.pages = 0
        self.zoom = 1.0
        self._rendered_width = 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        bar = QHBoxLayout()
        bar.setSpacing(4)
        self.prev_button = self._button("‹", "Previous page (Page Up)", self.previous_page)
        self.page_label = QLabel("")
        self.page_label.setObjectName("pageLabel")
        self.next_button = self._button("›", "Next page (Page Down)", self.next_page)
        self.zoom_out_button = self._button("−", "Zoom out (Ctrl+-)", self.zoom_out)
        self.zoom_label = QLabel("100%")
        self.zoom_label.setObjectName("pageLabel")
        self.zoom_in_button = self._button("+", "Zoom in (Ctrl+=)", self.zoom_in)
        self.fit_button = self._button(
            "Fit", "Fit the page to the panel's width (Ctrl+0)", self.fit
        )
        for w in (self.prev_button, self.page_label, self.next_button):
            bar.addWidget(w)
        bar.addStretch(1)
        for w in (self.zoom_out_button, self.zoom_label, self.zoom_in_button, self.fit_button):
            bar.addWidget(w)
        layout.addLayout(bar)
        self.scroll_area = QScrollArea()
        self.scroll_area.setObjectName("pdfScroll")
        self.scroll_area.setWidgetResizable(False)
        self.scroll_area.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.scroll_area.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.page_widget = _Page()
        self.scroll_area.setWidget(self.page_widget)
        self.scroll_area.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.scroll_area.setMinimumHeight(60)
        layout.addWidget(self.scroll_area, 1)
        self._rerender = QTimer(self)
        self._rerender.setSingleShot(True)
        self._rerender.setInterval(RERENDER_MS)
        self._rerender.timeout.connect(self._request_if_blurry)
        self.scroll_area.installEventFilter(self)
        self._update_controls()

    def _button(self, text: str, tip: str, slot: object) -> QToolButton:
        button = QToolButton()
        button.setObjectName("pdfButton")
        button.setText(text)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.clicked.connect(slot)
        return button

    # ---- what the preview asks ----

    def start(self, page: int) -> None:
        """A new PDF: show ``page`` (0: the best page for the query) at fit width."""
        self.page, self.pages, self.zoom = max(0, page), 0, 1.0
        self._rendered_width = 0
        self.page_widget.pixmap = None
        self.page_widget.update()
        self._update_controls()

    def target_width(self) -> int:
        """Device pixels wide the page should be rendered at for the current zoom."""
        ratio = self.devicePixelRatioF()
        return int(self._fit_width() * self.zoom * ratio)

    def _fit_width(self) -> int:
        # From this widget's own width: the scroll area's viewport lags behind a resize (and
        # is stale while the view is hidden in the preview's stack).
        bar = self.scroll_area.verticalScrollBar().sizeHint().width()
        frame = 2 * self.scroll_area.frameWidth()
        return max(120, self.width() - bar - frame - 6)

    def show_page(self, image: QImage, page: int, pages: int, marks: list) -> None:
        self.page, self.pages = page, pages
        self._rendered_width = image.width()
        self.page_widget.set_page(image, marks)
        self._layout_page()
        self._update_controls()
        if marks:  # bring the first found word into view
            y = int(marks[0][1] * self.page_widget.height())
            self.scroll_area.verticalScrollBar().setValue(
                max(0, y - self.scroll_area.viewport().height() // 3)
            )
        else:
            self.scroll_area.verticalScrollBar().setValue(0)

    # ---- navigation ----

    def go_to(self, page: int) -> None:
        if self.pages and 1 <= page <= self.pages and page != self.page:
            self.page = page
            self._update_controls()
            self.requested.emit(page, self.target_width())

    def next_page(self) -> None:
        self.go_to(self.page + 1)

    def previous_page(self) -> None:
        self.go_to(self.page - 1)

    def zoom_in(self) -> None:
        bigger = [z for z in ZOOMS if z > self.zoom + 1e-6]
        if bigger:
            self._set_zoom(bigger[0])

    def zoom_out(self) -> None:
        smaller = [z for z in ZOOMS if z < self.zoom - 1e-6]
        if smaller:
            self._set_zoom(smaller[-1])

    def fit(self) -> None:
        self._set_zoom(1.0)

    def _set_zoom(self, zoom: float) -> None:
        self.zoom = zoom
        self._layout_page()
        self._update_controls()
        self._request_if_blurry()

    def _request_if_blurry(self) -> None:
        """Re-render when the page is shown much larger than it was rendered."""
        if self.pages and self.target_width() > self._rendered_width * 1.15:
            self.requested.emit(self.page, self.target_width())

    def _layout_page(self) -> None:
        w = int(self._fit_width() * self.zoom)
        self.page_widget.setFixedSize(QSize(w, int(w * self.page_widget.ratio)))

    def _update_controls(self) -> None:
        known = self.pages > 0
        self.page_label.setText(f"Page {self.page} of {self.pages}" if known else "")
        self.prev_button.setEnabled(known and self.page > 1)
        self.next_button.setEnabled(known and self.page < self.pages)
        self.zoom_out_button.setEnabled(self.zoom > ZOOMS[0])
        self.zoom_in_button.setEnabled(self.zoom < ZOOMS[-1])
        self.zoom_label.setText(f"{self.zoom:.0%}")

    # ---- events ----

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._layout_page()
        self._rerender.start()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        QTimer.singleShot(0, self._layout_page)  # once the stack has given it its size

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if self.handle_key(event):
            return
        super().keyPressEvent(event)

    def eventFilter(self, watched: object, event: object) -> bool:  # noqa: N802 - Qt's name
        if isinstance(event, QKeyEvent) and event.type() == QKeyEvent.Type.KeyPress:
            return self.handle_key(event)
        return False

    def handle_key(self, event: QKeyEvent) -> bool:
        key, ctrl = event.key(), bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if key == Qt.Key.Key_PageDown:
            self.next_page()
        elif key == Qt.Key.Key_PageUp:
            self.previous_page()
        elif ctrl and key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_in()
        elif ctrl and key == Qt.Key.Key_Minus:
            self.zoom_out()
        elif ctrl and key == Qt.Key.Key_0:
            self.fit()
        else:
            return False
        return True
