"""The left side of the window: the results list (cards or a grid of tiles), or, when there
is nothing to list, a message in its place (the welcome, no match, an error)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLabel, QListView, QStackedWidget, QWidget

from desktop.cards import HitDelegate
from desktop.results import HitModel
from desktop.thumbnails import Thumbnailer


class ResultsArea(QStackedWidget):
    """The list and the message label; keys pressed in the list become its signals."""

    open_requested = Signal()  # Enter on a result
    reveal_requested = Signal()  # Ctrl+Enter
    escaped = Signal()  # Escape: back to an empty search field
    left_at_top = Signal()  # Up on the first row: back to the search field
    typed = Signal(str)  # a printable key: typing goes on in the search field

    def __init__(
        self, model: HitModel, thumbnails: Thumbnailer, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("resultsArea")
        self.results = QListView()
        self.results.setObjectName("results")
        self.results.setModel(model)
        self.card_delegate = HitDelegate(thumbnails, "card", self.results)
        self.tile_delegate = HitDelegate(thumbnails, "tile", self.results)
        self.results.setItemDelegate(self.card_delegate)
        self.results.setMouseTracking(True)
        self.results.setUniformItemSizes(True)
        self.results.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.results.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.results.setAccessibleName("Results")
        self.results.installEventFilter(self)

        self.empty = QLabel()
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setTextFormat(Qt.TextFormat.RichText)
        self.empty.setContentsMargins(40, 40, 40, 40)
        self.addWidget(self.empty)
        self.addWidget(self.results)
        thumbnails.ready.connect(lambda _path: self.results.viewport().update())

    def show_text(self, html: str) -> None:
        self.empty.setText(html)
        self.setCurrentWidget(self.empty)

    def show_results(self) -> None:
        self.setCurrentWidget(self.results)

    def set_grid(self, grid: bool) -> None:
        """Tiles in a grid, or cards in a list."""
        r = self.results
        if grid:
            r.setItemDelegate(self.tile_delegate)
            r.setViewMode(QListView.ViewMode.IconMode)
            r.setResizeMode(QListView.ResizeMode.Adjust)
            r.setMovement(QListView.Movement.Static)
            r.setWrapping(True)
            r.setGridSize(HitDelegate.SIZES["tile"])
        else:
            r.setItemDelegate(self.card_delegate)
            r.setViewMode(QListView.ViewMode.ListMode)
            r.setWrapping(False)
            r.setGridSize(QSize())
        r.scheduleDelayedItemsLayout()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.results and isinstance(event, QKeyEvent):
            if event.type() == QEvent.Type.KeyPress and self._key(event):
                return True
        return super().eventFilter(watched, event)

    def _key(self, key: QKeyEvent) -> bool:
        """Handle a key pressed in the list; True when it is taken."""
        if key.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if key.modifiers() & Qt.KeyboardModifier.ControlModifier:
                self.reveal_requested.emit()
            else:
                self.open_requested.emit()
            return True
        if key.key() == Qt.Key.Key_Escape:
            self.escaped.emit()
            return True
        if key.key() == Qt.Key.Key_Up and self.results.currentIndex().row() == 0:
            self.left_at_top.emit()
            return True
        if (
            key.text()
            and key.text().isprintable()
            and not key.modifiers()
            & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
        ):
            self.typed.emit(key.text())
            return True
        return False
