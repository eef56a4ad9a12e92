"""The Settings dialog's "AI agents" box: the ``loci mcp`` configuration, with a copy button."""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.mcp.config import CLIENTS, snippet


class AgentsBox(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("AI agents (MCP)", parent)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.client = QComboBox()
        self.client.addItems(list(CLIENTS))
        self.where = QLabel()
        self.where.setObjectName("paneSubtitle")
        self.copy = QPushButton("Copy")
        self.copy.setObjectName("copyMcpConfig")
        row.addWidget(self.client)
        row.addWidget(self.where, 1)
        row.addWidget(self.copy)
        layout.addLayout(row)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        # The five lines of the snippet, whole (the README's shape).
        self.text.setFixedHeight(self.text.fontMetrics().lineSpacing() * 5 + 18)
        layout.addWidget(self.text)
        self.client.currentTextChanged.connect(self._show)
        self.copy.clicked.connect(self._on_copy)
        self._show(self.client.currentText())

    def _show(self, client: str) -> None:
        self.where.setText(f"add to {CLIENTS[client]}")
        self.text.setPlainText(snippet(client))
        self.copy.setText("Copy")

    def _on_copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text.toPlainText())
        self.copy.setText("Copied")
