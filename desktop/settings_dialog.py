"""The settings dialog: folders, excludes, provider, dims, API key, theme, tray, autostart.

It edits a copy of ``Settings``; the window applies and saves the result.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.config import Settings
from desktop import autostart

GEMINI_DIMS = [0, 3072, 1536, 768, 256]
THEMES = [("Follow the system", "system"), ("Light", "light"), ("Dark", "dark")]


class SettingsDialog(QDialog):
    def __init__(
        self,
        settings: Settings,
        *,
        has_api_key: bool = False,
        pick_folder: Callable[[QWidget], str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Loci settings")
        self.setObjectName("settingsDialog")
        self.resize(640, 620)
        self._settings = copy.deepcopy(settings)
        self._pick_folder = pick_folder or _native_folder_picker
        layout = QVBoxLayout(self)

        folders_box = QGroupBox("Folders")
        fl = QVBoxLayout(folders_box)
        self.folders = QTreeWidget()
        self.folders.setObjectName("folderList")
        self.folders.setHeaderLabels(["Folder", "Local only"])
        self.folders.setRootIsDecorated(False)
        self.folders.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.folders.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.folders.setMinimumHeight(110)
        for folder in settings.folders:
            self._add_row(folder, folder in settings.local_only)
        fl.addWidget(self.folders)
        row = QHBoxLayout()
        self.add_button = QPushButton("Add folder…")
        self.add_button.clicked.connect(self._on_add)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self._on_remove)
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        self.folder_hint = QLabel("")
        self.folder_hint.setObjectName("paneSubtitle")
        row.addWidget(self.folder_hint)
        fl.addLayout(row)
        layout.addWidget(folders_box)

        form_box = QGroupBox("Index")
        form = QFormLayout(form_box)
        self.excludes = QPlainTextEdit("\n".join(settings.excludes))
        self.excludes.setObjectName("excludes")
        self.excludes.setPlaceholderText("One pattern per line, e.g. *.log or drafts/**")
        self.excludes.setMaximumHeight(84)
        form.addRow("Exclude", self.excludes)
        self.provider = QComboBox()
        self.provider.addItem("Local model (offline, nothing leaves this computer)", "local")
        self.provider.addItem("Gemini Embedding 2 (Google API: text, images, PDFs)", "gemini")
        self.provider.setCurrentIndex(max(0, self.provider.findData(settings.provider)))
        self.provider.currentIndexChanged.connect(self._on_provider)
        form.addRow("Provider", self.provider)
        self.dims = QComboBox()
        for d in GEMINI_DIMS:
            self.dims.addItem("Provider default" if d == 0 else f"{d} dimensions", d)
        self.dims.setCurrentIndex(max(0, self.dims.findData(settings.dims)))
        self.dims.setToolTip("Fewer dimensions: a smaller index, slightly less precise")
        form.addRow("Dimensions", self.dims)
        self.api_key = QLineEdit()
        self.api_key.setObjectName("apiKey")
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setPlaceholderText(
            "A key is saved in the system keyring — type to replace"
            if has_api_key
            else "Paste a Gemini API key (saved in the system keyring)"
        )
        form.addRow("API key", self.api_key)
        self.budget = QDoubleSpinBox()
        self.budget.setObjectName("budget")
        self.budget.setRange(0.0, 100_000.0)
        self.budget.setDecimals(2)
        self.budget.setPrefix("$ ")
        self.budget.setSpecialValueText("No limit")
        self.budget.setValue(float(settings.budget_usd or 0.0))
        self.budget.setToolTip("Indexing stops before spending more; the rest waits")
        form.addRow("Budget", self.budget)
        # What switching to Gemini would cost, computed off the GUI thread (it reads
        # page counts and durations), shown before anything is sent.
        self.cost = QLabel("")
        self.cost.setObjectName("costEstimate")
        self.cost.setWordWrap(True)
        self._estimates = _Estimates()
        self._estimates.done.connect(self.cost.setText)
        form.addRow("", self.cost)
        self.privacy = QLabel("")
        self.privacy.setObjectName("paneSubtitle")
        self.privacy.setWordWrap(True)
        form.addRow("", self.privacy)
        layout.addWidget(form_box)

        look_box = QGroupBox("App")
        look = QFormLayout(look_box)
        self.theme = QComboBox()
        for label, value in THEMES:
            self.theme.addItem(label, value)
        self.theme.setCurrentIndex(max(0, self.theme.findData(settings.theme)))
        look.addRow("Theme", self.theme)
        self.tray = QCheckBox("Keep syncing in the tray when the window is closed")
        self.tray.setChecked(settings.keep_running_in_tray)
        look.addRow("", self.tray)
        self.autostart = QCheckBox("Start Loci when I log in")
        self.autostart.setVisible(autostart.supported())
        self.autostart.setChecked(autostart.supported() and autostart.is_enabled())
        look.addRow("", self.autostart)
        layout.addWidget(look_box)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._on_provider()
        self._update_hint()

    # ---- folders ----

    def _add_row(self, folder: str, local_only: bool) -> None:
        item = QTreeWidgetItem([folder, ""])
        item.setToolTip(0, folder)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(1, Qt.CheckState.Checked if local_only else Qt.CheckState.Unchecked)
        item.setToolTip(1, "Never send this folder's files to a cloud provider")
        self.folders.addTopLevelItem(item)

    def add_folder(self, folder: str, local_only: bool = False) -> None:
        if folder and folder not in self.folder_paths():
            self._add_row(folder, local_only)
        self._update_hint()

    def folder_paths(self) -> list[str]:
        return [
            self.folders.topLevelItem(i).text(0) for i in range(self.folders.topLevelItemCount())
        ]

    def _on_add(self) -> None:
        folder = self._pick_folder(self)
        if folder:
            self.add_folder(str(Path(folder)))

    def _on_remove(self) -> None:
        for item in self.folders.selectedItems():
            self.folders.takeTopLevelItem(self.folders.indexOfTopLevelItem(item))
        self._update_hint()

    def _update_hint(self) -> None:
        self.folder_hint.setText("" if self.folder_paths() else "No folder yet: the demo is shown")

    def _on_provider(self) -> None:
        gemini = self.provider.currentData() == "gemini"
        self.dims.setEnabled(gemini)
        self.api_key.setEnabled(gemini)
        self.budget.setEnabled(gemini)
        self.cost.setVisible(gemini and self._settings.provider != "gemini")
        if self.cost.isVisibleTo(self):
            self.cost.setText("Estimating what indexing with Gemini would cost…")
            self._estimates.start(self.result_settings())
        self.privacy.setText(
            "Files in folders not marked “Local only” are sent to Google's Gemini API to be "
            "embedded. Changing the provider or dimensions builds a new index in the background."
            if gemini
            else "Everything stays on this computer. Media are found through text read out of "
            "them: speech (Whisper), text in images and scans (OCR), everyday objects and "
            "animals in photos (tags, with the vision extra), names, folders and dates. Scenes, "
            "moods and music are not seen offline; Gemini embeds the media themselves."
        )

    # ---- result ----

    def result_settings(self) -> Settings:
        s = copy.deepcopy(self._settings)
        s.folders = self.folder_paths()
        s.local_only = [
            self.folders.topLevelItem(i).text(0)
            for i in range(self.folders.topLevelItemCount())
            if self.folders.topLevelItem(i).checkState(1) == Qt.CheckState.Checked
        ]
        s.excludes = [ln.strip() for ln in self.excludes.toPlainText().splitlines() if ln.strip()]
        s.provider = self.provider.currentData()
        s.dims = int(self.dims.currentData()) if s.provider == "gemini" else 0
        s.budget_usd = float(self.budget.value())
        s.theme = self.theme.currentData()
        s.keep_running_in_tray = self.tray.isChecked()
        return s

    def new_api_key(self) -> str:
        """The key typed in this dialog ('' when left alone)."""
        return self.api_key.text().strip()

    def wants_autostart(self) -> bool:
        return self.autostart.isChecked()


class _Estimates(QObject):
    """Runs the cost estimate on a worker thread; ``done`` carries the sentence to show."""

    done = Signal(str)

    def start(self, settings: Settings) -> None:
        threading.Thread(target=self._run, args=(settings,), daemon=True).start()

    def _run(self, settings: Settings) -> None:
        from core import cost

        try:
            text = estimate_sentence(cost.estimate_folders(settings))
        except Exception as exc:  # noqa: BLE001 - an estimate must never break the dialog
            text = f"The cost could not be estimated ({exc})."
        try:
            self.done.emit(text)
        except RuntimeError:
            pass  # the dialog closed meanwhile


def estimate_sentence(est: object) -> str:
    """One or two lines for the dialog: files, dollars online and in batch, the biggest part."""
    from core.cost import Estimate

    assert isinstance(est, Estimate)
    if not est.files:
        return "Nothing to send: no supported files in these folders."
    parts = ", ".join(
        f"{r.kind} ${r.online():.2f}" for r in sorted(est.ordered(), key=lambda r: -r.online())
    )
    kept = f" {est.local_only:,} local-only files are never sent." if est.local_only else ""
    return (
        f"Indexing {est.files:,} files with Gemini would cost about ${est.online():.2f} "
        f"(${est.batch():.2f} in batch mode): {parts}. Nothing is sent until you save.{kept}"
    )


def _native_folder_picker(parent: QWidget) -> str:
    return QFileDialog.getExistingDirectory(parent, "Add a folder to Loci", str(Path.home()))
