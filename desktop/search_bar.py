"""The search field: typed text plus removable chips for dropped or pasted files."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QImage, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from desktop.icons import icon, kind_icon

DEBOUNCE_MS = 220


class QueryEdit(QLineEdit):
    """A line edit that hands images on the clipboard and a few keys to its owner."""

    image_pasted = Signal(QImage)
    escaped = Signal()
    moved_down = Signal()
    backspaced_empty = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Paste):
            image = QGuiApplication.clipboard().image()
            if not image.isNull():
                self.image_pasted.emit(image)
                return
        elif event.key() == Qt.Key.Key_Escape:
            self.escaped.emit()
            return
        elif event.key() == Qt.Key.Key_Down:
            self.moved_down.emit()
            return
        elif event.key() == Qt.Key.Key_Backspace and not self.text():
            self.backspaced_empty.emit()
            return
        super().keyPressEvent(event)


class Chip(QFrame):
    """A dropped or pasted file inside the search field; ✕ removes it."""

    removed = Signal(Path)

    def __init__(self, path: Path, kind: str, label: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.path = path
        self.setObjectName("chip")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 1, 2, 1)
        layout.setSpacing(4)
        glyph = QLabel()
        glyph.setPixmap(kind_icon(kind).pixmap(QSize(14, 14)))
        layout.addWidget(glyph)
        text = label or path.name
        self.label = name = QLabel(text if len(text) <= 28 else text[:25] + "…")
        name.setToolTip(str(path))
        layout.addWidget(name)
        self.close_button = close = QToolButton()
        close.setObjectName("chipClose")
        close.setText("✕")
        close.setToolTip(f"Remove {text} from the query")
        close.setAutoRaise(True)
        close.clicked.connect(lambda: self.removed.emit(self.path))
        layout.addWidget(close)


class SearchBar(QFrame):
    """Search as you type (debounced); Enter forces a search, Esc clears.

    ``query_changed`` fires after a pause in typing or at once on Enter / chip changes.
    """

    query_changed = Signal()
    image_pasted = Signal(QImage)
    cleared = Signal()
    moved_down = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("searchBar")
        self.files: list[Path] = []
        self._chips: dict[Path, Chip] = {}
        self._kinds: dict[Path, str] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 4, 8, 4)
        layout.setSpacing(6)
        glass = QLabel()
        glass.setPixmap(icon("search").pixmap(QSize(18, 18)))
        layout.addWidget(glass)
        self._chip_box = QHBoxLayout()
        self._chip_box.setSpacing(4)
        layout.addLayout(self._chip_box)
        self.edit = QueryEdit()
        self.edit.setObjectName("queryEdit")
        self.edit.setFrame(False)
        self.edit.setPlaceholderText("Search your notes, photos and PDFs by meaning…")
        self.edit.setAcceptDrops(False)  # drops go to the window: files become chips
        self.edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.edit.setAccessibleName("Search")
        layout.addWidget(self.edit, 1)
        hint = QLabel("Ctrl K")
        hint.setObjectName("shortcutHint")
        layout.addWidget(hint)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.query_changed)
        self.edit.textEdited.connect(lambda _t: self._debounce.start())
        self.edit.returnPressed.connect(self.force)
        self.edit.escaped.connect(self.clear)
        self.edit.image_pasted.connect(self.image_pasted)
        self.edit.moved_down.connect(self.moved_down)
        self.edit.backspaced_empty.connect(self._remove_last_chip)

    @property
    def text(self) -> str:
        return self.edit.text().strip()

    def is_empty(self) -> bool:
        return not self.text and not self.files

    def set_text(self, text: str) -> None:
        self.edit.setText(text)
        self.force()

    def force(self) -> None:
        """Search now (Enter)."""
        self._debounce.stop()
        self.query_changed.emit()

    def clear(self) -> None:
        self._debounce.stop()
        for path in list(self.files):
            self._drop_chip(path)
        self.edit.clear()
        self.cleared.emit()

    def add_file(self, path: Path, kind: str, label: str = "") -> None:
        """Add a chip for ``path`` (replacing any earlier chip: one file per query)."""
        for old in list(self.files):
            self._drop_chip(old)
        chip = Chip(path, kind, label)
        chip.removed.connect(self.remove_file)
        self._chip_box.addWidget(chip)
        self._chips[path] = chip
        self.files.append(path)
        self.force()

    def remove_file(self, path: Path) -> None:
        self._drop_chip(path)
        self.edit.setFocus()
        if self.is_empty():
            self.cleared.emit()
        else:
            self.force()

    def chips(self) -> list[Chip]:
        return [self._chips[p] for p in self.files]

    def _drop_chip(self, path: Path) -> None:
        chip = self._chips.pop(path, None)
        if path in self.files:
            self.files.remove(path)
        if chip is not None:
            chip.hide()
            chip.deleteLater()

    def _remove_last_chip(self) -> None:
        if self.files:
            self.remove_file(self.files[-1])
