"""Open and Show in folder: disabled with nothing selected; a failure is said, with the path."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QPalette

from desktop.reveal import FileManager
from tests.desktop.conftest import shot


class DeadBus:
    """No session bus (a bare X session): the folder is opened by the default handler."""

    def isConnected(self) -> bool:  # noqa: N802 - Qt's name
        return False


def test_buttons_are_disabled_and_look_it_with_nothing_selected(make_window, corpus, qtbot):
    window = make_window([corpus])
    preview = window.preview
    assert not preview.open_button.isEnabled() and not preview.reveal_button.isEnabled()
    palette = preview.open_button.palette()
    off = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText)
    on = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.ButtonText)
    assert off != on  # a disabled button reads as disabled, not as a live one
    with qtbot.waitSignal(window.bridge.searched):
        window.search.set_text("sourdough bread")
    assert preview.open_button.isEnabled() and preview.reveal_button.isEnabled()
    window.search.clear()
    assert not preview.open_button.isEnabled()


def test_a_failed_open_is_said_in_the_window_with_a_copy_path_offer(
    make_window, corpus, qtbot, tmp_path
):
    tried: list[str] = []

    def no_launcher(path: str, on_failed=None) -> bool:  # what open_file does without one
        tried.append(path)
        if on_failed is not None:
            on_failed()
        return False

    def no_file_manager(path: str, on_failed=None) -> None:
        # the real freedesktop path: no session bus, and opening the folder fails too
        FileManager(DeadBus(), lambda _url: False).show_items(path, on_failed=on_failed)

    window = make_window([corpus], opener=no_launcher, revealer=no_file_manager)
    with qtbot.waitSignal(window.bridge.searched):
        window.search.set_text("sourdough bread")
    window.flush_selection()
    notice = window.preview.notice
    assert not notice.isVisible()
    path = window.current_hit().path

    qtbot.mouseClick(window.preview.open_button, Qt.MouseButton.LeftButton)
    assert tried == [path]
    assert notice.isVisible()
    assert "Could not open sourdough.md" in notice.message.text()
    shot(window, "14-open-failed")
    qtbot.mouseClick(notice.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == path
    assert notice.copy_button.text() == "Copied"

    notice.hide()
    qtbot.keyClick(window.results, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert notice.isVisible() and "Could not show sourdough.md in its folder" in (
        notice.message.text()
    )
    # selecting another file puts the notice away
    with qtbot.waitSignal(window.bridge.searched):
        window.search.set_text("lighthouse keeper logbook")
    assert window.current_hit().path != path and not notice.isVisible()


def test_a_launcher_that_works_says_nothing(make_window, corpus, qtbot, recorder):
    window = make_window([corpus])
    with qtbot.waitSignal(window.bridge.searched):
        window.search.set_text("sourdough bread")
    qtbot.mouseClick(window.preview.open_button, Qt.MouseButton.LeftButton)
    assert recorder.opened and not window.preview.notice.isVisible()
