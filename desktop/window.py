"""The main window: search field, filters, results, preview, recall and status line.

It holds the GUI logic; the engine is reached only through the ``Bridge`` (results come
back as signals) and thumbnails only through the ``Thumbnailer``. Opening files, revealing
them and storing the API key are injected, so tests run it without side effects.
"""

from __future__ import annotations

import html
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, QProcess, QSize, Qt, QTimer, QUrl
from PySide6.QtGui import (
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QIcon,
    QImage,
    QKeyEvent,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QMainWindow,
    QMenu,
    QSplitter,
    QStackedWidget,
    QSystemTrayIcon,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core import secrets
from core.config import Settings
from desktop.filters import KIND_CHIPS, FilterBar
from desktop.icons import icon, kind_icon
from desktop.player import PlayerFactory
from desktop.preview import Loaded, PreviewPane, load_pdf_page, load_preview
from desktop.recall import RecallPanel
from desktop.results import HIT_ROLE, HitDelegate, HitModel
from desktop.search_bar import SearchBar
from desktop.settings_dialog import SettingsDialog
from desktop.status import ProblemsDialog, StatusLine
from desktop.thumbnails import Thumbnailer
from desktop.worker import Bridge, IndexState, SearchRequest

SELECTION_SETTLE_MS = 120  # recall and preview follow the selection once it stops moving
TEXT_DROP_LIMIT = 2000
REVEAL_TIMEOUT_MS = 10_000  # a file manager started by D-Bus activation can take seconds
_watchers: set[Any] = set()  # D-Bus replies on their way (kept alive until they arrive)


def file_url(path: str) -> QUrl:
    """A file: URL for an index key, byte-exact even for a name that is not UTF-8."""
    from urllib.parse import quote

    from core.scan import fs_path

    return QUrl.fromEncoded(b"file://" + quote(os.fsencode(fs_path(path))).encode("ascii"))


Failed = Callable[[], None]


def open_file(path: str, on_failed: Failed | None = None) -> bool:
    """Open ``path`` with the desktop's default application; False (and ``on_failed``) when
    the desktop has no launcher for it (Qt then only logs ``Unable to detect a launcher``)."""
    ok = bool(QDesktopServices.openUrl(file_url(path)))
    if not ok and on_failed is not None:
        on_failed()
    return ok


def reveal_file(path: str, on_failed: Failed | None = None) -> None:
    """Show ``path`` in the platform's file manager, selected where the platform can.

    ``on_failed`` runs (perhaps later: the D-Bus call is asynchronous) when nothing could
    show it.
    """
    if sys.platform == "darwin":
        started = QProcess.startDetached("open", ["-R", path])
    elif sys.platform == "win32":
        started = QProcess.startDetached("explorer", ["/select,", os.path.normpath(path)])
    else:
        show_items(path, on_failed=on_failed)
        return
    if not (started[0] if isinstance(started, tuple) else started) and on_failed is not None:
        on_failed()


def show_items(
    path: str,
    bus: Any = None,
    open_url: Callable[[QUrl], Any] = QDesktopServices.openUrl,
    on_failed: Failed | None = None,
) -> bool:
    """freedesktop: ask the file manager to select ``path`` (D-Bus ``FileManager1.ShowItems``).

    Nautilus, Dolphin, Nemo, Caja and Thunar implement it. The call is asynchronous (starting
    a file manager can take seconds); when there is no session bus, no such service, or the
    call fails, the folder is opened with the default handler instead, and when that fails
    too (no launcher), ``on_failed`` runs. Returns True when the D-Bus call was sent.
    """
    folder = file_url(os.path.dirname(path))

    def open_folder() -> None:
        if open_url(folder) is False and on_failed is not None:
            on_failed()

    try:
        from PySide6.QtDBus import QDBusConnection, QDBusMessage, QDBusPendingCallWatcher
    except ImportError:
        open_folder()
        return False
    bus = bus if bus is not None else QDBusConnection.sessionBus()
    if not bus.isConnected():
        open_folder()
        return False
    message = QDBusMessage.createMethodCall(
        "org.freedesktop.FileManager1",
        "/org/freedesktop/FileManager1",
        "org.freedesktop.FileManager1",
        "ShowItems",
    )
    message.setArguments([[file_url(path).toString()], ""])
    watcher = QDBusPendingCallWatcher(bus.asyncCall(message, REVEAL_TIMEOUT_MS))

    def finished(w: QDBusPendingCallWatcher) -> None:
        if w.isError():
            open_folder()
        w.deleteLater()
        _watchers.discard(w)

    _watchers.add(watcher)
    watcher.finished.connect(finished)
    return True


def _takes_on_failed(fn: Callable[..., Any]) -> bool:
    import inspect

    try:
        return "on_failed" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def default_size() -> tuple[int, int]:
    """1180×760, or less where the screen is smaller (a 1366×768 laptop): the whole window,
    its frame and the desktop's panels fit, down to the 800×560 the layout is made for."""
    from PySide6.QtGui import QGuiApplication

    screen = QGuiApplication.primaryScreen()
    if screen is None:
        return 1180, 760
    room = screen.availableGeometry()
    return max(800, min(1180, room.width() - 40)), max(560, min(760, room.height() - 80))


def words(text: str) -> list[str]:
    """The query's words worth highlighting: the engine's own rule (no stop words)."""
    from core.search import query_terms

    return query_terms(text)


class MainWindow(QMainWindow):
    def __init__(
        self,
        settings: Settings,
        bridge: Bridge,
        thumbnails: Thumbnailer,
        *,
        settings_path: Path | None = None,
        opener: Callable[..., Any] = open_file,
        revealer: Callable[..., Any] = reveal_file,
        key_store: Any = secrets,
        apply_theme: Callable[[str], None] | None = None,
        temp_dir: Path | None = None,
        player_factory: PlayerFactory | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.bridge = bridge
        self.thumbnails = thumbnails
        self.settings_path = settings_path
        self.opener = opener
        self.revealer = revealer
        self.key_store = key_store
        self.apply_theme = apply_theme
        self._temp_dir = temp_dir
        self._own_temp = temp_dir is None
        self._player_factory = player_factory  # None: media opens in the default app
        self._failures: list[tuple[str, str]] = []
        self._focus_hit: Any = None  # what the preview and recall are about
        self._last_query = ""
        self._engine_error = ""  # why the engine did not open, until it does
        self._quitting = False
        self.problems_dialog: ProblemsDialog | None = None
        self.settings_dialog: SettingsDialog | None = None
        self.tray: QSystemTrayIcon | None = None

        self.setWindowTitle("Loci")
        self.setWindowIcon(icon("loci"))
        self.setAcceptDrops(True)
        self.resize(*default_size())
        self._build()
        self._connect()
        self._shortcuts()
        self._set_roots()
        self._show_welcome()
        self._update_tray()
        self.search.edit.setFocus()  # the search field is the app: typing goes there at once

    # ---- layout ----

    def _build(self) -> None:
        central = QWidget()
        central.setObjectName("central")
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)

        header = QFrame()
        header.setObjectName("header")
        hv = QVBoxLayout(header)
        hv.setContentsMargins(14, 12, 14, 8)
        hv.setSpacing(8)
        top = QHBoxLayout()
        top.setSpacing(8)
        self.search = SearchBar()
        top.addWidget(self.search, 1)
        self.rescan_button = self._tool_button("rescan", "Rescan the folders now (F5)")
        self.settings_button = self._tool_button("settings", "Settings (Ctrl+,)")
        top.addWidget(self.rescan_button)
        top.addWidget(self.settings_button)
        hv.addLayout(top)
        self.filters = FilterBar()
        hv.addWidget(self.filters)
        outer.addWidget(header)

        self.model = HitModel(self)
        self.results = QListView()
        self.results.setObjectName("results")
        self.results.setModel(self.model)
        self.card_delegate = HitDelegate(self.thumbnails, "card", self.results)
        self.tile_delegate = HitDelegate(self.thumbnails, "tile", self.results)
        self.results.setItemDelegate(self.card_delegate)
        self.results.setMouseTracking(True)
        self.results.setUniformItemSizes(True)
        self.results.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.results.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.results.setAccessibleName("Results")
        self.results.installEventFilter(self)

        self.empty = QLabel()
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setTextFormat(Qt.TextFormat.RichText)
        self.empty.setContentsMargins(40, 40, 40, 40)
        self.left = QStackedWidget()
        self.left.setObjectName("resultsArea")
        self.left.addWidget(self.empty)
        self.left.addWidget(self.results)

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

        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SELECTION_SETTLE_MS)
        self._settle.timeout.connect(self._follow_selection)

    def _tool_button(self, name: str, tip: str) -> QToolButton:
        button = QToolButton()
        button.setObjectName("headerButton")
        button.setIcon(icon(name))
        button.setIconSize(QSize(20, 20))
        button.setToolTip(tip)
        button.setAutoRaise(True)
        return button

    def _connect(self) -> None:
        b = self.bridge
        b.engine_opened.connect(self._on_engine_opened)
        b.engine_failed.connect(self._on_engine_failed)
        b.searched.connect(self._on_searched)
        b.search_failed.connect(self._on_search_failed)
        b.recalled.connect(self._on_recalled)
        b.recall_failed.connect(self._on_recall_failed)
        b.index_started.connect(self._on_index_started)
        b.index_progressed.connect(self._on_index_progressed)
        b.indexed.connect(self._on_indexed)
        b.index_failed.connect(self._on_index_failed)
        b.status_changed.connect(self._on_status_changed)
        b.loaded.connect(self._on_loaded)
        b.load_failed.connect(self._on_load_failed)
        self.search.query_changed.connect(self._on_query_changed)
        self.search.cleared.connect(self._on_cleared)
        self.search.image_pasted.connect(self._on_image_pasted)
        self.search.moved_down.connect(self._focus_results)
        self.filters.changed.connect(self._on_query_changed)
        self.filters.view_toggled.connect(self._on_view_toggled)
        self.results.selectionModel().currentChanged.connect(self._on_current_changed)
        self.results.activated.connect(lambda _i: self.open_current())
        self.recall.hit_activated.connect(self._on_recall_activated)
        self.recall.scratch_changed.connect(self._on_scratch_changed)
        self.preview.pdf.requested.connect(self._on_pdf_page_requested)
        self.preview.open_requested.connect(self.open_path)
        self.preview.reveal_requested.connect(self.reveal_path)
        self.status.problems_clicked.connect(self.show_problems)
        self.status.repair_clicked.connect(self.repair_index)
        self.rescan_button.clicked.connect(self.rescan)
        self.settings_button.clicked.connect(self.open_settings)
        self.empty.linkActivated.connect(self._on_example)
        self.thumbnails.ready.connect(lambda _p: self.results.viewport().update())

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
        if not self._quitting and self.tray is not None and self.tray.isVisible():
            self.hide()  # keep syncing in the tray
            event.ignore()
            return
        self.status.state.setText("Stopping…")
        self.preview.shutdown()
        self.bridge.shutdown()
        self.thumbnails.shutdown()
        if self.tray is not None:
            self.tray.hide()
        if self._own_temp and self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
        event.accept()
        app = QApplication.instance()
        if self._quitting and app is not None:
            app.quit()

    # ---- engine events ----

    def _on_engine_opened(self, state: IndexState) -> None:
        self._engine_error = ""
        self._on_status_changed(state)
        self.status.state.setText("Ready")
        self.bridge.start_sync()
        if not self.search.is_empty():
            self._on_query_changed()

    def _on_engine_failed(self, message: str) -> None:
        self._engine_error = message
        self.status.show_error(f"Cannot open the index: {message}")
        if not self.search.is_empty():
            self._show_waiting()  # the queued query says why it cannot run

    def _on_index_started(self) -> None:
        self.status.show_progress(0, 0, "", "scanning")

    def _on_index_progressed(self, progress: Any) -> None:
        self.status.show_progress(progress.done, progress.total, progress.path, progress.message)

    def _on_indexed(self, report: Any) -> None:
        if report.fatal:
            self.status.show_error(f"Indexing stopped: {report.fatal}")
        elif report.budget_stop:
            self.status.show_error(f"Indexing paused: {report.budget_stop}")
        if report.changed_paths or report.deleted_paths:
            self.thumbnails.forget()
            if not self.search.is_empty():
                self._on_query_changed()  # new files may match now

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
        return SearchRequest(
            text=self.search.text,
            files=list(self.search.files),
            kinds=self.filters.kinds(),
            folder=self.filters.folder_path(),
            since=self.filters.since(),
        )

    def _on_query_changed(self) -> None:
        if self.search.is_empty():
            self._on_cleared()
            return
        request = self.request()
        self._last_query = request.text or ", ".join(p.name for p in request.files)
        if self.bridge.engine is None:
            # The engine is still loading (or failed): keep the query, say what happens next.
            # _on_engine_opened runs whatever is in the field then.
            self._show_waiting()
            return
        self.bridge.search(request)

    def _show_waiting(self) -> None:
        self.bridge.forget("search")
        self.model.clear()
        if self._engine_error:
            self._show_message("Cannot search yet", f"The index did not open: {self._engine_error}")
            return
        self._show_message(
            "Opening the index…",
            f"Your search for “{self._last_query}” runs as soon as it is ready.",
        )

    def _on_cleared(self) -> None:
        self.bridge.forget("search")  # drop answers still on their way
        self.model.clear()
        self._forget_focus()
        self._show_welcome()

    def _forget_focus(self) -> None:
        """Nothing is selected any more: the preview and recall say so."""
        self._settle.stop()
        self._focus_hit = None
        self.bridge.forget("preview")
        self.bridge.forget("recall")
        self.preview.show_hit(None)
        if not self.recall.scratch_text():
            self.recall.clear()

    def _on_searched(self, rid: int, hits: list[Any]) -> None:
        if not self.bridge.is_latest("search", rid):
            return
        terms = words(self.search.text)
        keep = self._focus_hit.path if self._focus_hit is not None else None
        self.model.set_hits(hits, terms)
        if not hits:
            self._forget_focus()
            self._show_no_match()
            return
        self.left.setCurrentWidget(self.results)
        row = self.model.row_of(keep) if keep else -1
        self.results.setCurrentIndex(self.model.index(max(row, 0)))
        self.results.scrollTo(self.results.currentIndex())

    def _on_search_failed(self, rid: int, message: str) -> None:
        if not self.bridge.is_latest("search", rid):
            return
        self.model.clear()
        self._show_message("Search failed", message)

    def _show_welcome(self) -> None:
        intro = (
            "<div style='font-size:17pt; font-weight:600'>Search your memories by meaning</div>"
            "<p>Type a question, drop a photo, a PDF or a note onto this window, "
            "or paste an image with Ctrl+V.</p>"
        )
        add = "<a href='settings:'>Add a folder…</a>"
        if self.settings.is_demo():
            links = " · ".join(
                f"<a href='q:{q}'>{q}</a>"
                for q in ("bread recipe", "pricing tiers", "a cat asleep", "trip to Portugal")
            )
            where = (
                f"<p style='margin-top:14px'>Try {links}</p>"
                "<p style='color:gray'>This is Loci's <b>demo folder</b>, a small sample of "
                "notes and photos. When you add a folder of your own, the demo leaves the index. "
                f"{add}</p>"
            )
        elif not self.settings.folders:
            where = f"<p style='color:gray'>No folder to search yet. {add}</p>"
        else:
            names = [Path(f).name or f for f in self.settings.folders]
            shown = ", ".join(html.escape(n) for n in names[:4])
            more = f" and {len(names) - 4} more" if len(names) > 4 else ""
            label = "your folder" if len(names) == 1 else "your folders"
            where = f"<p style='color:gray'>Searching {label} {shown}{more}</p>"
        self.empty.setText(intro + where)
        self.left.setCurrentWidget(self.empty)

    def _show_no_match(self) -> None:
        hints = ["Try other words, or fewer of them."]
        if self.filters.kinds() or self.filters.folder_path() or self.filters.since():
            hints.append("Check the filters above: they may hide what you want.")
        if self.bridge.indexing:
            hints.append("Indexing is still running — more may match soon.")
        self._show_message(f"No good match for “{self._last_query}”", " ".join(hints))

    def _show_message(self, title: str, body: str) -> None:
        self.empty.setText(
            f"<div style='font-size:15pt; font-weight:600'>{html.escape(title)}</div>"
            f"<p>{html.escape(body)}</p>"
        )
        self.left.setCurrentWidget(self.empty)

    def _on_example(self, link: str) -> None:
        if link.startswith("q:"):
            self.search.set_text(link[2:])
        elif link == "settings:":
            self.open_settings()

    def _on_view_toggled(self, grid: bool) -> None:
        r = self.results
        if grid:
            r.setItemDelegate(self.tile_delegate)
            r.setViewMode(QListView.ViewMode.IconMode)
            r.setResizeMode(QListView.ResizeMode.Adjust)
            r.setMovement(QListView.Movement.Static)
            r.setWrapping(True)
            r.setGridSize(HitDelegate.SIZES["tile"])
        else:
            r.setItemDelegate(self.card_delegate)
            r.setViewMode(QListView.ViewMode.ListMode)
            r.setWrapping(False)
            r.setGridSize(QSize())
        r.scheduleDelayedItemsLayout()

    # ---- selection, preview and recall ----

    def current_hit(self) -> Any:
        return self.results.currentIndex().data(HIT_ROLE)

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        hit = current.data(HIT_ROLE)
        if hit is None:
            return
        self._focus_hit = hit
        self.preview.show_hit(hit, self.model.folder_of(hit.path))
        self._settle.start()

    def _follow_selection(self) -> None:
        """Load the preview and recall for the selection once it has settled."""
        hit = self._focus_hit
        if hit is None:
            return
        cache = self.thumbnails.cache_dir
        terms = words(self.search.text) or list(hit.matched_terms)
        if hit.kind == "pdf":
            self.preview.pdf.start(0)
            self.preview.pdf.resize(self.preview.stack.size())  # hidden until now: stale size
        width = self.preview.pdf.target_width()
        self.bridge.load(
            lambda: load_preview(hit.path, hit.kind, dict(hit.locator), cache, terms, width),
            lane="preview",
        )
        if not self.recall.scratch_text():
            self.recall.set_source(
                hit.title or Path(hit.path).name, "Other memories, by dot product with this one"
            )
            self.bridge.recall(path=hit.path)

    def _on_pdf_page_requested(self, page: int, width: int) -> None:
        """Page up/down or zoom in the PDF preview: render that page at that width."""
        hit = self._focus_hit
        if hit is None or hit.kind != "pdf":
            return
        terms = words(self.search.text) or list(hit.matched_terms)
        self.bridge.load(lambda: load_pdf_page(hit.path, page, width, terms), lane="preview")

    def select_path(self, hit: Any) -> None:
        """Make ``hit`` the focus: select it in the results if there, and recall from it."""
        row = self.model.row_of(hit.path)
        if row >= 0:
            self.results.setCurrentIndex(self.model.index(row))
        else:
            self.results.clearSelection()
            self.results.setCurrentIndex(QModelIndex())
            self._focus_hit = hit
            self.preview.show_hit(hit, self.model.folder_of(hit.path))
            self._settle.start()

    def flush_selection(self) -> None:
        """Follow a pending selection now (keyboard users pressing Enter; tests)."""
        if self._settle.isActive():
            self._settle.stop()
            self._follow_selection()

    def _on_recall_activated(self, hit: Any) -> None:
        if self.recall.scratch_text():
            self.recall.scratch.clear()
        self.select_path(hit)

    def _on_scratch_changed(self, text: str) -> None:
        if text:
            self.recall.set_source(
                text if len(text) < 40 else text[:38] + "…",
                "Memories related to what you are writing",
            )
            self.bridge.recall(text=text)
        elif self._focus_hit is not None:
            self._follow_selection()
        else:
            self.recall.clear()

    def _on_recalled(self, rid: int, hits: list[Any]) -> None:
        if self.bridge.is_latest("recall", rid):
            self.recall.set_hits(hits)

    def _on_recall_failed(self, rid: int, message: str) -> None:
        if self.bridge.is_latest("recall", rid):
            self.recall.model.clear()
            self.recall.subtitle.setText(message)

    def _on_loaded(self, rid: int, loaded: Loaded) -> None:
        if self.bridge.is_latest("preview", rid):
            self.preview.show_loaded(loaded)

    def _on_load_failed(self, rid: int, message: str) -> None:
        if self.bridge.is_latest("preview", rid):
            self.preview.show_error(message)

    # ---- opening ----

    def open_current(self) -> None:
        """Open the selection; a moment in audio/video plays in the preview from its start."""
        hit = self.current_hit() or self._focus_hit
        if hit is None:
            return
        if self.preview.can_play(hit):
            self.flush_selection()  # the preview shows this hit before it plays
            self.preview.play(hit)
        else:
            self.open_path(hit.path)

    def reveal_current(self) -> None:
        hit = self.current_hit() or self._focus_hit
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

        if _takes_on_failed(launcher):
            launcher(path, on_failed=failed)
        elif launcher(path) is False:  # a launcher that takes only the path (tests)
            failed()

    def _focus_results(self) -> None:
        if self.model.rowCount():
            self.results.setFocus(Qt.FocusReason.OtherFocusReason)
            if not self.results.currentIndex().isValid():
                self.results.setCurrentIndex(self.model.index(0))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.results and event.type() == QEvent.Type.KeyPress:
            key = event  # type: QKeyEvent
            assert isinstance(key, QKeyEvent)
            if key.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if key.modifiers() & Qt.KeyboardModifier.ControlModifier:
                    self.reveal_current()
                else:
                    self.open_current()
                return True
            if key.key() == Qt.Key.Key_Escape:
                self.search.clear()
                self.focus_search()
                return True
            if key.key() == Qt.Key.Key_Up and self.results.currentIndex().row() == 0:
                self.focus_search()
                return True
            if (
                key.text()
                and key.text().isprintable()
                and not key.modifiers()
                & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
            ):
                # typing in the list goes on typing in the search field
                self.focus_search()
                self.search.edit.setText(self.search.edit.text() + key.text())
                self.search.edit.textEdited.emit(self.search.edit.text())
                return True
        return super().eventFilter(watched, event)

    # ---- drag and drop, paste ----

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if mime.hasUrls() or mime.hasImage() or mime.hasText():
            event.acceptProposedAction()

    def dragMoveEvent(self, event: Any) -> None:
        event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        mime = event.mimeData()
        files = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
        files = [f for f in files if f.is_file()]
        if files:
            self.search_by_file(files[0])
        elif mime.hasImage():
            self._on_image_pasted(QImage(mime.imageData()))
        elif mime.hasText() and mime.text().strip():
            self.search.set_text(" ".join(mime.text().split())[:TEXT_DROP_LIMIT])
        else:
            return
        event.acceptProposedAction()
        self.activateWindow()

    def search_by_file(self, path: Path, label: str = "") -> None:
        from core.extract import kind_of

        self.search.add_file(path, kind_of(path) or "file", label)

    def _on_image_pasted(self, image: QImage) -> None:
        if image.isNull():
            return
        if self._temp_dir is None:
            self._temp_dir = Path(tempfile.mkdtemp(prefix="loci-paste-"))
        self._temp_dir.mkdir(parents=True, exist_ok=True)
        # A plain counter, not a timestamp: the name's words become part of the query.
        n = 1
        while (path := self._temp_dir / f"pasted-image-{n}.png").exists():
            n += 1
        image.save(str(path), "PNG")
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
        self._update_tray()
        engine_keys = (
            "folders",
            "demo",
            "excludes",
            "provider",
            "dims",
            "model",
            "local_only",
            "gemini_base_url",
        )
        if any(getattr(old, k) != getattr(new, k) for k in engine_keys) or api_key:
            rebuild = (old.provider, old.dims, old.model) != (new.provider, new.dims, new.model)
            self._set_roots()
            if self.search.is_empty():
                self._show_welcome()  # it speaks of the folders being searched
            self.status.show_opening()
            self.bridge.open(new, rebuild=rebuild)

    def _update_tray(self) -> None:
        wanted = self.settings.keep_running_in_tray and QSystemTrayIcon.isSystemTrayAvailable()
        if not wanted:
            if self.tray is not None:
                self.tray.hide()
                self.tray = None
            return
        if self.tray is None:
            self.tray = QSystemTrayIcon(QIcon(icon("loci")), self)
            menu = QMenu(self)
            menu.addAction("Show Loci", self._show_from_tray)
            menu.addAction("Rescan now", self.rescan)
            menu.addSeparator()
            menu.addAction("Quit Loci", self.quit)
            self.tray.setContextMenu(menu)
            self.tray.setToolTip("Loci — keeping your index in sync")
            self.tray.activated.connect(lambda _r: self._show_from_tray())
        self.tray.show()

    def _show_from_tray(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()
        self.focus_search()


__all__ = ["MainWindow", "kind_icon"]
