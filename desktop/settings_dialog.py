"""The settings dialog: folders, excludes, provider, dims, API key, theme, tray, autostart.

It edits a copy of ``Settings``; the window applies and saves the result.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
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
from desktop.agents import AgentsBox

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
        self.resize(640, 800)
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
        self.agents = AgentsBox()  # the `loci mcp` snippet for Claude Desktop, Gemini CLI, Cursor
        layout.addWidget(self.agents)

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
        s.theme = self.theme.currentData()
        s.keep_running_in_tray = self.tray.isChecked()
        return s

    def new_api_key(self) -> str:
        """The key typed in this dialog ('' when left alone)."""
        return self.api_key.text().strip()

    def wants_autostart(self) -> bool:
        return self.autostart.isChecked()


def _native_folder_picker(parent: QWidget) -> str:
    return QFileDialog.getExistingDirectory(parent, "Add a folder to Loci", str(Path.home()))
