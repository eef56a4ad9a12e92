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
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.config import Settings, demo_folder
from desktop import autostart
from desktop.agents import AgentsBox
from desktop.tasks import DaemonExecutor, Tasks

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
        self._settings = copy.deepcopy(settings)
        self._pick_folder = pick_folder or _native_folder_picker
        outer = QVBoxLayout(self)
        # The boxes scroll, the buttons stay: the dialog fits a 768-pixel-high laptop screen.
        body = QWidget()
        body.setObjectName("settingsBody")
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        self.scroll_area = QScrollArea()
        self.scroll_area.setObjectName("settingsScroll")
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll_area.setWidget(body)
        outer.addWidget(self.scroll_area)

        folders_box = QGroupBox("Folders")
        fl = QVBoxLayout(folders_box)
        self.folders = QTreeWidget()
        self.folders.setObjectName("folderList")
        self.folders.setHeaderLabels(["Folder", "Local only"])
        self.folders.setRootIsDecorated(False)
        self.folders.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.folders.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.folders.setMinimumHeight(110)
        self.demo_row: QTreeWidgetItem | None = None
        if settings.is_demo():
            self._add_demo_row()
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
        lines = self.excludes.fontMetrics().lineSpacing()
        self.excludes.setFixedHeight(lines * 3 + 14)  # three lines; it scrolls for more
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
        # daemon threads: an estimate walking a big folder never holds up quitting
        self._estimates = Tasks(DaemonExecutor("loci-estimate"))
        self.finished.connect(lambda _result: self._estimates.close())
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
        self.agents = AgentsBox()  # the `loci mcp` snippet for Claude Desktop, Gemini CLI, Cursor
        layout.addWidget(self.agents)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        plain_buttons(buttons)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        outer.addWidget(buttons)
        for button in (self.add_button, self.remove_button):
            button.setAutoDefault(False)  # Enter saves; it never adds a folder
        self._on_provider()
        self._update_hint()
        # Tall enough for every wrapped line at this width (the privacy note wraps to four),
        # but never taller than the screen: past that the boxes scroll.
        body.setMinimumWidth(body.sizeHint().width())
        want = body.sizeHint().height() + buttons.sizeHint().height() + 40
        screen = self.screen().availableGeometry().height() if self.screen() else want
        self.resize(660, min(want, int(screen * 0.9)))

    # ---- folders ----

    def _add_row(self, folder: str, local_only: bool) -> None:
        item = QTreeWidgetItem([folder, ""])
        item.setToolTip(0, folder)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(1, Qt.CheckState.Checked if local_only else Qt.CheckState.Unchecked)
        item.setToolTip(1, "Never send this folder's files to a cloud provider")
        self.folders.addTopLevelItem(item)

    def _add_demo_row(self) -> None:
        """The bundled sample, labelled as such; Remove takes it away, a folder replaces it."""
        item = QTreeWidgetItem(["Demo folder — a sample that comes with Loci", "—"])
        item.setToolTip(0, f"{demo_folder()}\nIt leaves once you add a folder of your own.")
        item.setToolTip(1, "The demo never leaves this computer")
        font = item.font(0)
        font.setItalic(True)
        item.setFont(0, font)
        item.setData(0, Qt.ItemDataRole.UserRole, "demo")
        self.folders.addTopLevelItem(item)
        self.demo_row = item

    def _drop_demo_row(self) -> None:
        if self.demo_row is not None:
            self.folders.takeTopLevelItem(self.folders.indexOfTopLevelItem(self.demo_row))
            self.demo_row = None

    def add_folder(self, folder: str, local_only: bool = False) -> None:
        if folder and folder not in self.folder_paths():
            self._drop_demo_row()  # a folder of the user's replaces the sample
            self._add_row(folder, local_only)
        self._update_hint()

    def _user_items(self) -> list[QTreeWidgetItem]:
        items = [self.folders.topLevelItem(i) for i in range(self.folders.topLevelItemCount())]
        return [item for item in items if item is not None and item is not self.demo_row]

    def folder_paths(self) -> list[str]:
        return [item.text(0) for item in self._user_items()]

    def _on_add(self) -> None:
        folder = self._pick_folder(self)
        if folder:
            self.add_folder(str(Path(folder)))

    def _on_remove(self) -> None:
        for item in self.folders.selectedItems():
            if item is self.demo_row:
                self._drop_demo_row()
            else:
                self.folders.takeTopLevelItem(self.folders.indexOfTopLevelItem(item))
        self._update_hint()

    def _update_hint(self) -> None:
        if self.demo_row is not None:
            hint = "Add a folder: the demo then leaves the index"
        elif not self.folder_paths():
            hint = "No folder: add one to search it"
        else:
            hint = ""
        self.folder_hint.setText(hint)

    def _on_provider(self) -> None:
        gemini = self.provider.currentData() == "gemini"
        self.dims.setEnabled(gemini)
        self.api_key.setEnabled(gemini)
        self.budget.setEnabled(gemini)
        self.cost.setVisible(gemini and self._settings.provider != "gemini")
        if self.cost.isVisibleTo(self):
            self.cost.setText("Estimating what indexing with Gemini would cost…")
            settings = self.result_settings()
            self._estimates.run(lambda: _estimate(settings), self.cost.setText)
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
        s.demo = self.demo_row is not None
        s.local_only = [
            item.text(0)
            for item in self._user_items()
            if item.checkState(1) == Qt.CheckState.Checked
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


def plain_buttons(box: QDialogButtonBox) -> None:
    """No stock icons (a floppy disk on Save, a red X on Cancel): text, in Loci's style."""
    from PySide6.QtGui import QIcon

    for button in box.buttons():
        button.setIcon(QIcon())
    save = box.button(QDialogButtonBox.StandardButton.Save)
    if save is not None:
        save.setDefault(True)


def _estimate(settings: Settings) -> str:
    """On a worker: the sentence the dialog shows about the cost of indexing with Gemini."""
    from core import cost

    try:
        return estimate_sentence(cost.estimate_folders(settings))
    except Exception as exc:  # noqa: BLE001 - an estimate must never break the dialog
        return f"The cost could not be estimated ({exc})."


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
