"""The filter row: kind chips, folder and date pickers, list/grid toggle."""

from __future__ import annotations

import os
import time
from pathlib import Path

from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QToolButton,
    QWidget,
)

from desktop.icons import icon

KIND_CHIPS = [
    ("All", ()),
    ("Notes", ("note",)),
    ("Images", ("image",)),
    ("PDFs", ("pdf",)),
    ("Audio", ("audio",)),
    ("Video", ("video",)),
]
DAY = 86400.0
DATES = [
    ("Any time", 0.0),
    ("Past week", 7 * DAY),
    ("Past month", 31 * DAY),
    ("Past year", 366 * DAY),
]


class FilterBar(QWidget):
    changed = Signal()
    view_toggled = Signal(bool)  # True: grid

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.kind_group = QButtonGroup(self)
        self.kind_group.setExclusive(True)
        self.kind_buttons: dict[str, QToolButton] = {}
        for i, (label, _kinds) in enumerate(KIND_CHIPS):
            button = QToolButton()
            button.setObjectName("kindChip")
            button.setText(label)
            button.setCheckable(True)
            button.setChecked(i == 0)
            button.setToolTip(f"Show {label.lower()}" if i else "Show every kind")
            self.kind_group.addButton(button, i)
            self.kind_buttons[label] = button
            layout.addWidget(button)
        self.kind_group.idToggled.connect(self._on_kind_toggled)
        layout.addStretch(1)
        self.folder = QComboBox()
        self.folder.setObjectName("folderFilter")
        self.folder.setToolTip("Only files in this folder")
        self.folder.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.folder.addItem("All folders", "")
        self.folder.currentIndexChanged.connect(lambda _i: self.changed.emit())
        layout.addWidget(self.folder)
        self.date = QComboBox()
        self.date.setObjectName("dateFilter")
        self.date.setToolTip("Only files changed in this period")
        for label, span in DATES:
            self.date.addItem(label, span)
        self.date.currentIndexChanged.connect(lambda _i: self.changed.emit())
        layout.addWidget(self.date)
        self.grid_button = QToolButton()
        self.grid_button.setObjectName("viewToggle")
        self.grid_button.setCheckable(True)
        self.grid_button.setIcon(icon("grid"))
        self.grid_button.setIconSize(QSize(18, 18))
        self.grid_button.setToolTip("Grid view (thumbnails)")
        self.grid_button.toggled.connect(self._on_grid_toggled)
        layout.addWidget(self.grid_button)

    def set_folders(self, roots: list[Path]) -> None:
        """Offer each indexed folder and the folders directly inside it."""
        current = self.folder.currentData()
        self.folder.blockSignals(True)
        self.folder.clear()
        self.folder.addItem("All folders", "")
        from core.config import demo_folder

        for root in roots:
            label = "Demo folder (sample)" if root == demo_folder() else root.name or str(root)
            self.folder.addItem(label, str(root))
            try:
                subs = sorted(
                    e.name for e in os.scandir(root) if e.is_dir() and not e.name.startswith(".")
                )
            except OSError:
                subs = []
            for name in subs[:40]:
                self.folder.addItem(f"   {name}", str(root / name))
        found = self.folder.findData(current)
        self.folder.setCurrentIndex(max(0, found))
        self.folder.blockSignals(False)

    def kinds(self) -> tuple[str, ...]:
        return KIND_CHIPS[max(0, self.kind_group.checkedId())][1]

    def folder_path(self) -> str:
        return self.folder.currentData() or ""

    def since(self, now: float | None = None) -> float:
        span = float(self.date.currentData() or 0.0)
        return (now or time.time()) - span if span else 0.0

    def select_kind(self, label: str) -> None:
        self.kind_buttons[label].setChecked(True)

    def is_grid(self) -> bool:
        return self.grid_button.isChecked()

    def _on_kind_toggled(self, button_id: int, checked: bool) -> None:
        if not checked:
            return
        # Images read best as a grid of thumbnails; other kinds as cards.
        self.grid_button.setChecked(KIND_CHIPS[button_id][0] == "Images")
        self.changed.emit()

    def _on_grid_toggled(self, grid: bool) -> None:
        self.grid_button.setIcon(icon("list" if grid else "grid"))
        self.grid_button.setToolTip("List view" if grid else "Grid view (thumbnails)")
        self.view_toggled.emit(grid)
