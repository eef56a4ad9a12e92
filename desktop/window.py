"""The main window: search field, filters, results, preview, recall and status line.

It lays the parts out and wires them: the search flow (``searching``), the preview and
recall that follow the selection (``focus``), the engine's events on the status line, the
settings, the tray, drops and pastes. The engine is reached only through the ``Bridge``
(results come back as signals) and thumbnails only through the ``Thumbnailer``. Opening
files, revealing them and storing the API key are injected, so tests run it without side
effects.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import (
    QCloseEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QImage,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QApplication,
    QMainWindow,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from core import secrets
from core.config import Settings
from desktop.filters import KIND_CHIPS
from desktop.focus import Focus
from desktop.header import Header
from desktop.icons import icon, kind_icon
from desktop.paste import PasteFolder, dropped
from desktop.player import PlayerFactory
from desktop.preview import PreviewPane
from desktop.recall import RecallPanel
from desktop.reopen import engine_change
from desktop.results import HIT_ROLE, HitModel
from desktop.results_area import ResultsArea
from desktop.reveal import FileManager, launch, open_file
from desktop.searching import SearchFlow
from desktop.settings_dialog import SettingsDialog
from desktop.status import ProblemsDialog, StatusLine
from desktop.thumbnails import Thumbnailer
from desktop.tray import Tray
from desktop.worker import Bridge, IndexState, SearchRequest

if TYPE_CHECKING:
    from core.index import IndexReport
    from core.model import Hit, Progress


def default_size() -> tuple[int, int]:
    """1180×760, or less where the screen is smaller (a 1366×768 laptop): the whole window,
    its frame and the desktop's panels fit, down to the 800×560 the layout is made for."""
    from PySide6.QtGui import QGuiApplication

    screen = QGuiApplication.primaryScreen()
    if screen is None:
        return 1180, 760
    room = screen.availableGeometry()
    return max(800, min(1180, room.width() - 40)), max(560, min(760, room.height() - 80))


class MainWindow(QMainWindow):
    def __init__(
        self,
        settings: Settings,
        bridge: Bridge,
        thumbnails: Thumbnailer,
        *,
        settings_path: Path | None = None,
        opener: Callable[..., Any] = open_file,
        revealer: Callable[..., Any] | None = None,
        key_store: Any = secrets,
        apply_theme: Callable[[str], object] | None = None,
        temp_dir: Path | None = None,
        player_factory: PlayerFactory | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.bridge = bridge
        self.thumbnails = thumbnails
        self.settings_path = settings_path
        self.opener = opener
        self.files = FileManager(parent=self)
        self.revealer = revealer or self.files.reveal
        self.key_store = key_store
        self.apply_theme = apply_theme
        self.pasted = PasteFolder(temp_dir)
        self._player_factory = player_factory  # None: media opens in the default app
        self._failures: list[tuple[str, str]] = []
        self._quitting = False
        self.problems_dialog: ProblemsDialog | None = None
        self.settings_dialog: SettingsDialog | None = None
        self.tray = Tray(self, show=self._show_from_tray, rescan=self.rescan, quit=self.quit)

        self.setWindowTitle("Loci")
        self.setWindowIcon(icon("loci"))
        self.setAcceptDrops(True)
        self.resize(*default_size())
        self._build()
        self._connect()
        self._shortcuts()
        self._set_roots()
        self.searching.show_welcome()
        self.tray.update(self.settings.keep_running_in_tray)
        self.search.edit.setFocus()  # the search field is the app: typing goes there at once

    # ---- layout ----

    def _build(self) -> None:
        central = QWidget()
        central.setObjectName("central")
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)

        header = Header()
        self.search = header.search
        self.rescan_button = header.rescan_button
        self.settings_button = header.settings_button
        self.filters = header.filters
        outer.addWidget(header)

        self.model = HitModel(self)
        self.left = ResultsArea(self.model, self.thumbnails)
        self.results = self.left.results
        self.empty = self.left.empty

        self.preview = PreviewPane(self._player_factory)
        self.recall = RecallPanel(self.thumbnails)
        right = QSplitter(Qt.Orientation.Vertical)
        right.setObjectName("rightSplit")
        right.addWidget(self.preview)
        right.addWidget(self.recall)
        # Preview and recall share the height evenly: at 800×560 the recall list still shows
        # two rows and the preview a readable block; at 1600×1000 six rows.
        right.setStretchFactor(0, 1)
        right.setStretchFactor(1, 1)
        right.setSizes([500, 500])
        right.setChildrenCollapsible(False)
        self.right_split = right
        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.setObjectName("mainSplit")
        self.split.addWidget(self.left)
        self.split.addWidget(right)
        self.split.setStretchFactor(0, 5)
        self.split.setStretchFactor(1, 4)
        self.split.setSizes([620, 520])
        self.split.setChildrenCollapsible(False)
        outer.addWidget(self.split, 1)
        self.setCentralWidget(central)

        self.status = StatusLine()
        self.statusBar().addWidget(self.status, 1)
        self.statusBar().setSizeGripEnabled(False)
        self.focus = Focus(
            self.bridge,
            self.thumbnails,
            self.results,
            self.model,
            self.preview,
            self.recall,
            lambda: self.search.text,
            self,
        )
        self.searching = SearchFlow(
            self.bridge,
            self.search,
            self.filters,
            self.model,
            self.left,
            self.focus,
            lambda: self.settings,
            self.open_settings,
            self,
        )

    def _connect(self) -> None:
        b = self.bridge
        b.engine_opened.connect(self._on_engine_opened)
        b.engine_failed.connect(self._on_engine_failed)
        b.index_started.connect(self._on_index_started)
        b.index_progressed.connect(self._on_index_progressed)
        b.indexed.connect(self._on_indexed)
        b.index_failed.connect(self._on_index_failed)
        b.status_changed.connect(self._on_status_changed)
        self.search.image_pasted.connect(self._on_image_pasted)
        self.search.moved_down.connect(self._focus_results)
        self.filters.view_toggled.connect(self.left.set_grid)
        self.results.activated.connect(lambda _i: self.open_current())
        self.preview.open_requested.connect(self.open_path)
        self.preview.reveal_requested.connect(self.reveal_path)
        self.status.problems_clicked.connect(self.show_problems)
        self.status.repair_clicked.connect(self.repair_index)
        self.rescan_button.clicked.connect(self.rescan)
        self.settings_button.clicked.connect(self.open_settings)
        self.left.open_requested.connect(self.open_current)
        self.left.reveal_requested.connect(self.reveal_current)
        self.left.escaped.connect(self._on_escaped)
        self.left.left_at_top.connect(self.focus_search)
        self.left.typed.connect(self._on_typed)

    def _shortcuts(self) -> None:
        for seq in ("Ctrl+K", QKeySequence.StandardKey.Find):
            QShortcut(QKeySequence(seq), self, self.focus_search)
        QShortcut(QKeySequence("F5"), self, self.rescan)
        QShortcut(QKeySequence("Ctrl+,"), self, self.open_settings)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Quit), self, self.quit)
        QShortcut(QKeySequence("Ctrl+G"), self, self.filters.grid_button.toggle)
        for i, (label, _k) in enumerate(KIND_CHIPS, start=1):
            QShortcut(
                QKeySequence(f"Ctrl+{i}"), self, lambda label=label: self.filters.select_kind(label)
            )

    def _set_roots(self) -> None:
        roots = self.settings.effective_folders()
        self.model.roots = [str(r) for r in roots]
        self.recall.model.roots = self.model.roots
        self.status.roots = self.model.roots
        self.filters.set_folders(roots)

    # ---- life cycle ----

    def start(self) -> None:
        """Open the index and start syncing, all in the background."""
        self.status.show_opening()
        self.bridge.open(self.settings)

    def focus_search(self) -> None:
        self.search.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.edit.selectAll()

    def rescan(self) -> None:
        self.bridge.rescan()

    def repair_index(self) -> None:
        """Build a fresh index from the files, whatever state the damaged one is in."""
        self.status.show_opening()
        self.bridge.open(self.settings, fresh=True)

    def quit(self) -> None:
        self._quitting = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._quitting and self.tray.is_visible():
            self.hide()  # keep syncing in the tray
            event.ignore()
            return
        self.status.state.setText("Stopping…")
        self.preview.shutdown()
        self.bridge.shutdown()
        self.thumbnails.shutdown()
        self.tray.hide()
        self.pasted.cleanup()
        event.accept()
        app = QApplication.instance()
        if self._quitting and app is not None:
            app.quit()

    # ---- engine events ----

    def _on_engine_opened(self, state: IndexState) -> None:
        self.searching.engine_error = ""
        self._on_status_changed(state)
        self.status.state.setText("Ready")
        self.bridge.start_sync()
        if not self.search.is_empty():
            self.searching.run()

    def _on_engine_failed(self, message: str) -> None:
        self.searching.engine_error = message
        self.status.show_error(f"Cannot open the index: {message}")
        if not self.search.is_empty():
            self.searching.show_waiting()  # the queued query says why it cannot run

    def _on_index_started(self) -> None:
        self.status.show_progress(0, 0, "", "scanning")

    def _on_index_progressed(self, progress: Progress) -> None:
        self.status.show_progress(progress.done, progress.total, progress.path, progress.message)

    def _on_indexed(self, report: IndexReport) -> None:
        if report.fatal:
            self.status.show_error(f"Indexing stopped: {report.fatal}")
        elif report.budget_stop:
            self.status.show_error(f"Indexing paused: {report.budget_stop}")
        if report.changed_paths or report.deleted_paths:
            self.thumbnails.forget()
            if not self.search.is_empty():
                self.searching.run()  # new files may match now

    def _on_index_failed(self, message: str) -> None:
        self.status.show_error(f"Indexing failed: {message}")

    def _on_status_changed(self, state: IndexState) -> None:
        self._failures = state.failures
        if self.bridge.indexing:
            self.status.show_counts(state.status)
            self.status.show_failures(state.failures)
        else:
            self.status.show_synced(state.status, state.failures)

    # ---- searching ----

    def request(self) -> SearchRequest:
        return self.searching.request()

    # ---- selection, preview and recall ----

    def current_hit(self) -> Hit | None:
        hit: Hit | None = self.results.currentIndex().data(HIT_ROLE)
        return hit

    def select_path(self, hit: Hit) -> None:
        """Make ``hit`` the focus: select it in the results if there, and recall from it."""
        self.focus.select(hit)

    def flush_selection(self) -> None:
        """Follow a pending selection now (keyboard users pressing Enter; tests)."""
        self.focus.flush()

    # ---- opening ----

    def open_current(self) -> None:
        """Open the selection; a moment in audio/video plays in the preview from its start."""
        hit = self.current_hit() or self.focus.hit
        if hit is None:
            return
        if self.preview.can_play(hit):
            self.flush_selection()  # the preview shows this hit before it plays
            self.preview.play(hit)
        else:
            self.open_path(hit.path)

    def reveal_current(self) -> None:
        hit = self.current_hit() or self.focus.hit
        if hit is not None:
            self.reveal_path(hit.path)

    def open_path(self, path: str) -> None:
        self._launch(self.opener, path, "open")

    def reveal_path(self, path: str) -> None:
        self._launch(self.revealer, path, "show")

    def _launch(self, launcher: Callable[..., Any], path: str, action: str) -> None:
        """Run an opener or revealer; when the desktop cannot, say so and offer the path."""
        self.preview.notice.hide()

        def failed() -> None:
            self.preview.show_launch_failure(path, action)

        launch(launcher, path, failed)

    def _focus_results(self) -> None:
        if self.model.rowCount():
            self.results.setFocus(Qt.FocusReason.OtherFocusReason)
            if not self.results.currentIndex().isValid():
                self.results.setCurrentIndex(self.model.index(0))

    def _on_escaped(self) -> None:
        self.search.clear()
        self.focus_search()

    def _on_typed(self, text: str) -> None:
        """Typing in the list goes on typing in the search field."""
        self.focus_search()
        self.search.edit.setText(self.search.edit.text() + text)
        self.search.edit.textEdited.emit(self.search.edit.text())

    # ---- drag and drop, paste ----

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if mime.hasUrls() or mime.hasImage() or mime.hasText():
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        what = dropped(event.mimeData())
        if isinstance(what, Path):
            self.search_by_file(what)
        elif isinstance(what, QImage):
            self._on_image_pasted(what)
        elif what:
            self.search.set_text(what)
        else:
            return
        event.acceptProposedAction()
        self.activateWindow()

    def search_by_file(self, path: Path, label: str = "") -> None:
        from core.extract import kind_of

        self.search.add_file(path, kind_of(path) or "file", label)

    def _on_image_pasted(self, image: QImage) -> None:
        path = self.pasted.save(image)
        if path is not None:
            self.search_by_file(path, "Pasted image")

    # ---- problems, settings, tray ----

    def show_problems(self) -> ProblemsDialog:
        if self.problems_dialog is not None:
            self.problems_dialog.close()
        self.problems_dialog = ProblemsDialog(self._failures, self.model.roots, self)
        self.problems_dialog.show()
        return self.problems_dialog

    def open_settings(self) -> SettingsDialog:
        has_key = bool(self.key_store.get_api_key())
        dialog = SettingsDialog(self.settings, has_api_key=has_key, parent=self)
        dialog.accepted.connect(
            lambda: self.apply_settings(
                dialog.result_settings(), dialog.new_api_key(), dialog.wants_autostart()
            )
        )
        self.settings_dialog = dialog
        dialog.open()
        return dialog

    def apply_settings(
        self, new: Settings, api_key: str = "", autostart_on: bool | None = None
    ) -> None:
        old = self.settings
        if api_key:
            try:
                self.key_store.set_api_key(api_key)
            except Exception as exc:
                self.status.show_error(str(exc))
        new.save(self.settings_path)
        self.settings = new
        if autostart_on is not None:
            from desktop import autostart

            if autostart.supported() and autostart_on != autostart.is_enabled():
                autostart.set_enabled(autostart_on)
        if new.theme != old.theme and self.apply_theme is not None:
            self.apply_theme(new.theme)
        self.tray.update(new.keep_running_in_tray)
        change = engine_change(old, new, api_key)
        if change.reopen:
            self._set_roots()
            if self.search.is_empty():
                self.searching.show_welcome()  # it speaks of the folders being searched
            self.status.show_opening()
            self.bridge.open(new, rebuild=change.rebuild)

    def _show_from_tray(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()
        self.focus_search()


__all__ = ["MainWindow", "kind_icon"]
