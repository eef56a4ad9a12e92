"""The top of the window: the search field, the rescan and settings buttons, the filters."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QFrame, QHBoxLayout, QToolButton, QVBoxLayout, QWidget

from desktop.filters import FilterBar
from desktop.icons import icon
from desktop.search_bar import SearchBar


def tool_button(name: str, tip: str) -> QToolButton:
    button = QToolButton()
    button.setObjectName("headerButton")
    button.setIcon(icon(name))
    button.setIconSize(QSize(20, 20))
    button.setToolTip(tip)
    button.setAutoRaise(True)
    return button


class Header(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("header")
        column = QVBoxLayout(self)
        column.setContentsMargins(14, 12, 14, 8)
        column.setSpacing(8)
        top = QHBoxLayout()
        top.setSpacing(8)
        self.search = SearchBar()
        top.addWidget(self.search, 1)
        self.rescan_button = tool_button("rescan", "Rescan the folders now (F5)")
        self.settings_button = tool_button("settings", "Settings (Ctrl+,)")
        top.addWidget(self.rescan_button)
        top.addWidget(self.settings_button)
        column.addLayout(top)
        self.filters = FilterBar()
        column.addWidget(self.filters)
