"""The memory-recall panel: files related to the selection, and a scratch box to recall from."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QListView, QPlainTextEdit, QVBoxLayout, QWidget

from desktop.cards import HitDelegate
from desktop.elided import ElidedLabel
from desktop.results import HIT_ROLE, HitModel
from desktop.thumbnails import Thumbnailer

SCRATCH_DEBOUNCE_MS = 350
SCRATCH_TALL = 78  # px: three lines to write in
SCRATCH_SHORT = 40  # px: one line, when the panel is short


class RecallPanel(QWidget):
    """Calm by design: it never takes focus on its own and says what it is related to."""

    hit_activated = Signal(object)  # Hit
    scratch_changed = Signal(str)  # debounced

    def __init__(self, thumbnails: Thumbnailer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recallPanel")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 8, 14, 10)
        layout.setSpacing(6)
        self.title = ElidedLabel("Recall")  # a long title ends in "…", never mid-word
        self.title.setObjectName("paneTitle")
        layout.addWidget(self.title)
        self.subtitle = QLabel("Related memories appear here for the selected result")
        self.subtitle.setObjectName("paneSubtitle")
        self.subtitle.setWordWrap(True)
        layout.addWidget(self.subtitle)
        self.model = HitModel(self)
        self.view = QListView()
        self.view.setObjectName("recallList")
        self.view.setModel(self.model)
        self.view.setItemDelegate(HitDelegate(thumbnails, "compact", self.view))
        self.view.setMouseTracking(True)
        self.view.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.view.setUniformItemSizes(True)
        self.view.clicked.connect(self._on_clicked)
        self.view.activated.connect(self._on_clicked)
        layout.addWidget(self.view, 1)
        self.scratch = QPlainTextEdit()
        self.scratch.setObjectName("scratch")
        self.scratch.setPlaceholderText(
            "Recall while you write — type a thought and related memories appear above"
        )
        self.scratch.setFixedHeight(SCRATCH_TALL)
        self.scratch.setTabChangesFocus(True)
        layout.addWidget(self.scratch)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SCRATCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(lambda: self.scratch_changed.emit(self.scratch_text()))
        self.scratch.textChanged.connect(self._debounce.start)
        thumbnails.ready.connect(lambda _p: self.view.viewport().update())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        # In a short window the list gets the room: the box shrinks to about one line.
        tall = self.height() >= 300
        self.scratch.setFixedHeight(SCRATCH_TALL if tall else SCRATCH_SHORT)
        self.scratch.setPlaceholderText(
            "Recall while you write — type a thought and related memories appear above"
            if tall
            else "Type a thought: related memories appear above"
        )

    def scratch_text(self) -> str:
        return self.scratch.toPlainText().strip()

    def flush_scratch(self) -> None:
        """Emit a pending scratch change now (tests, and leaving the box)."""
        if self._debounce.isActive():
            self._debounce.stop()
            self.scratch_changed.emit(self.scratch_text())

    def set_source(self, title: str, subtitle: str = "") -> None:
        short = title if len(title) <= 60 else title[:58].rstrip() + "…"
        self.title.setText(f"Recall — related to “{short}”")
        self.title.setToolTip(title)
        self.subtitle.setText(subtitle)

    def set_hits(self, hits: list[Any]) -> None:
        self.model.set_hits(hits)
        if not hits:
            self.subtitle.setText("Nothing else in the index is close to it")

    def clear(self) -> None:
        self.title.setText("Recall")
        self.subtitle.setText("Related memories appear here for the selected result")
        self.model.clear()

    def _on_clicked(self, index: QModelIndex) -> None:
        hit = index.data(HIT_ROLE)
        if hit is not None:
            self.hit_activated.emit(hit)
