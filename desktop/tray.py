"""The tray icon: with "keep running in the tray" on, closing the window keeps Loci syncing."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon, QWidget

from desktop.icons import icon


class Tray:
    """Shows or hides the tray icon as the setting asks; its menu shows, rescans or quits."""

    def __init__(
        self,
        window: QWidget,
        *,
        show: Callable[[], None],
        rescan: Callable[[], None],
        quit: Callable[[], None],
    ) -> None:
        self._window = window
        self._show = show
        self._rescan = rescan
        self._quit = quit
        self.icon: QSystemTrayIcon | None = None

    def update(self, wanted: bool) -> None:
        """Show the icon when ``wanted`` and the desktop has a tray; hide it otherwise."""
        if not (wanted and QSystemTrayIcon.isSystemTrayAvailable()):
            self.hide()
            return
        if self.icon is None:
            self.icon = QSystemTrayIcon(QIcon(icon("loci")), self._window)
            menu = QMenu(self._window)
            menu.addAction("Show Loci", self._show)
            menu.addAction("Rescan now", self._rescan)
            menu.addSeparator()
            menu.addAction("Quit Loci", self._quit)
            self.icon.setContextMenu(menu)
            self.icon.setToolTip("Loci — keeping your index in sync")
            self.icon.activated.connect(lambda _reason: self._show())
        self.icon.show()

    def hide(self) -> None:
        if self.icon is not None:
            self.icon.hide()
            self.icon = None

    def is_visible(self) -> bool:
        return self.icon is not None and self.icon.isVisible()
