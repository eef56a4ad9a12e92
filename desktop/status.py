"""The status line: sync state with a progress bar, counts, provider, and a problems link."""

from __future__ import annotations

import os

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QGuiApplication,
    QIcon,
    QKeyEvent,
    QKeySequence,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.model import EngineStatus
from desktop.elided import ElidedLabel

PROVIDERS = {"local": "local model", "gemini": "Gemini", "test": "test embedder"}


def short_path(path: str, roots: list[str]) -> str:
    for root in roots:
        root = root.rstrip(os.sep)
        if path.startswith(root + os.sep):
            return os.path.relpath(path, os.path.dirname(root))
    return path


class StatusLine(QWidget):
    """One line: ● state [progress] · counts · provider … ⚠ N files could not be indexed."""

    problems_clicked = Signal()
    repair_clicked = Signal()  # the index is damaged: build a fresh one from the files

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusLine")
        self.roots: list[str] = []
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 2, 10, 2)
        layout.setSpacing(10)
        self.dot = QLabel("●")
        self.dot.setObjectName("statusDot")
        layout.addWidget(self.dot)
        # Long progress lines ("Indexing 143 / 2,310 — notes/trip.md") elide in the middle.
        self.state = ElidedLabel("Opening the index…", mode=Qt.TextElideMode.ElideMiddle)
        self.state.setObjectName("statusState")
        layout.addWidget(self.state)
        self.progress = QProgressBar()
        self.progress.setObjectName("indexProgress")
        self.progress.setFixedWidth(150)
        self.progress.setFixedHeight(8)
        self.progress.setTextVisible(False)
        self.progress.hide()
        layout.addWidget(self.progress)
        self.counts = ElidedLabel("")
        self.counts.setObjectName("statusCounts")
        layout.addWidget(self.counts)
        layout.addStretch(1)
        self.problems = QPushButton("")
        self.problems.setObjectName("problemsLink")
        self.problems.setFlat(True)
        self.problems.setCursor(Qt.CursorShape.PointingHandCursor)
        self.problems.clicked.connect(self.problems_clicked)
        self.problems.hide()
        layout.addWidget(self.problems)
        self.repair = QPushButton("Repair index")
        self.repair.setObjectName("repairIndex")
        self.repair.setToolTip(
            "Build a fresh index from your files (they are never changed); search works again "
            "as files are indexed"
        )
        self.repair.clicked.connect(self.repair_clicked)
        self.repair.hide()
        layout.addWidget(self.repair)
        self._set_dot("idle")

    def _set_dot(self, state: str) -> None:
        self.dot.setProperty("state", state)
        self.dot.style().unpolish(self.dot)
        self.dot.style().polish(self.dot)

    def show_opening(self) -> None:
        self.repair.hide()
        self._set_dot("busy")
        self.state.setText("Opening the index…")

    def show_progress(self, done: int, total: int, path: str, message: str = "") -> None:
        self._set_dot("busy")
        self.progress.show()
        if total <= 0:
            self.progress.setRange(0, 0)  # busy: still scanning
            self.state.setText("Scanning folders…" if message == "scanning" else "Indexing…")
            return
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        where = f" — {short_path(path, self.roots)}" if path else ""
        self.state.setText(f"Indexing {done:,} / {total:,}{where}")
        self.state.setToolTip(path)

    def show_synced(self, status: EngineStatus, failures: list[tuple[str, str]]) -> None:
        self._set_dot("ok")
        self.progress.hide()
        self.state.setText("Synced")
        self.state.setToolTip("")
        self.show_counts(status)
        self.show_failures(failures)

    def show_counts(self, status: EngineStatus) -> None:
        provider = PROVIDERS.get(status.provider, status.provider)
        sample = " · demo folder (a sample)" if status.demo else ""
        self.counts.setText(
            f"{status.files:,} files · {status.pieces:,} pieces · {provider}{sample}"
        )

    def show_failures(self, failures: list[tuple[str, str]]) -> None:
        n = len(failures)
        self.problems.setVisible(n > 0)
        self.problems.setText(f"⚠ {n} file{'s' if n != 1 else ''} could not be indexed")

    def show_error(self, message: str) -> None:
        self._set_dot("error")
        self.progress.hide()
        # core.store says "is damaged" for an index that only a fresh rebuild mends
        self.repair.setVisible("is damaged" in message)
        self.state.setText(message.splitlines()[0][:160] if message else "Error")
        self.state.setToolTip(message)


class ProblemsDialog(QDialog):
    """The files that could not be indexed, each with its reason. Not modal: look and go on.

    Reasons show whole, wrapped; Copy (Ctrl+C, or the row's menu) copies the selected rows,
    Copy all every row, as "path: reason" lines.
    """

    def __init__(
        self, failures: list[tuple[str, str]], roots: list[str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Files that could not be indexed")
        self.resize(760, 400)
        self.failures = list(failures)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "These files were skipped. Loci retries each one when it changes; "
            "everything else is searchable."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.table = QTableWidget(len(failures), 2)
        self.table.setObjectName("problemsList")
        self.table.setHorizontalHeaderLabels(["File", "Reason"])
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(True)  # a long reason wraps onto more lines, whole
        self.table.setShowGrid(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # long paths: the middle goes
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        for row, (path, reason) in enumerate(failures):
            name = QTableWidgetItem(short_path(path, roots))
            name.setToolTip(path)
            name.setData(Qt.ItemDataRole.UserRole, path)
            name.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            why = QTableWidgetItem(reason)
            why.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            self.table.setItem(row, 0, name)
            self.table.setItem(row, 1, why)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        self.table.setColumnWidth(0, 260)
        # rows grow to the wrapped reason whenever the columns change width
        header.sectionResized.connect(lambda *_: self.table.resizeRowsToContents())
        self.table.resizeRowsToContents()
        layout.addWidget(self.table)
        copy = QAction("Copy", self.table)
        copy.setShortcut(QKeySequence.StandardKey.Copy)
        copy.triggered.connect(self.copy_selected)
        self.table.addAction(copy)  # the row's right-click menu
        self.table.installEventFilter(self)  # Ctrl+C: the view would copy one cell itself
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        for button in buttons.buttons():
            button.setIcon(QIcon())  # no stock icons: Loci's own look
        self.copy_all_button = QPushButton("Copy all")
        self.copy_all_button.setToolTip("Copy every file and its reason, one per line")
        self.copy_all_button.clicked.connect(self.copy_all)
        buttons.addButton(self.copy_all_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)

    @staticmethod
    def _lines(rows: list[tuple[str, str]]) -> str:
        return "\n".join(f"{path}: {reason}" for path, reason in rows)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self.table.resizeRowsToContents()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if (
            watched is self.table
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.matches(QKeySequence.StandardKey.Copy)
        ):
            self.copy_selected()
            return True
        return super().eventFilter(watched, event)

    def copy_selected(self) -> None:
        picked = sorted({i.row() for i in self.table.selectedIndexes()})
        rows = [self.failures[r] for r in picked]
        QGuiApplication.clipboard().setText(self._lines(rows or self.failures))

    def copy_all(self) -> None:
        QGuiApplication.clipboard().setText(self._lines(self.failures))
        self.copy_all_button.setText("Copied")
