"""Screenshots of the main states, on the demo folder with the real local model.

Saved under tests/artifacts/screenshots/ (git-ignored) for people to look at; the best
ones are copied to resources/screenshots/ for the README by hand.
"""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from core.config import demo_folder
from desktop.results import HIT_ROLE
from desktop.theme import apply_theme
from tests.desktop.conftest import shot


@pytest.fixture
def themed():
    app = QApplication.instance()
    style, palette, sheet = app.style().name(), app.palette(), app.styleSheet()
    yield lambda theme: apply_theme(theme, app)
    app.setStyleSheet(sheet)
    app.setPalette(palette)
    app.setStyle(style)


def settle(window) -> None:
    """Paint once so thumbnails are made (inline here), then the grab shows them."""
    window.flush_selection()
    window.grab()
    window.recall.grab()


def test_screenshots_of_the_main_states(make_window, local_embedder, tmp_path, qtbot, themed):
    themed("light")
    demo = tmp_path / "demo"
    shutil.copytree(demo_folder(), demo)
    (demo / "work" / "scan-2019.pdf").write_bytes(b"%PDF-1.4 truncated by a bad download")
    window = make_window([demo], embedder=local_embedder)
    window.settings.folders = []  # present it as the demo folder, as on a first run
    window._show_welcome()
    settle(window)
    assert shot(window, "01-empty").exists()

    with qtbot.waitSignal(window.bridge.searched):
        window.search.set_text("whiteboard pricing")
    assert window.model.rowCount() >= 2
    settle(window)
    shot(window, "02-results")

    with qtbot.waitSignal(window.bridge.searched):
        window.search.set_text("photos")
    with qtbot.waitSignal(window.bridge.searched):
        window.filters.select_kind("Images")
    assert window.filters.is_grid() and window.model.rowCount() >= 2
    settle(window)
    shot(window, "03-image-grid")

    with qtbot.waitSignal(window.bridge.searched):
        window.filters.select_kind("All")
    with qtbot.waitSignal(window.bridge.searched):
        window.search.set_text("bread recipe")
    window.flush_selection()
    view = window.recall.view
    index = window.recall.model.index(0)
    assert index.data(HIT_ROLE) is not None
    with qtbot.waitSignal(window.bridge.recalled):
        qtbot.mouseClick(
            view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(index).center()
        )
    settle(window)
    shot(window, "04-recall")

    with qtbot.waitSignal(window.bridge.recalled):
        window.recall.scratch.setPlainText("what should the team plan cost per seat?")
        window.recall.flush_scratch()
    settle(window)
    shot(window, "05-recall-while-writing")

    window.recall.scratch.clear()
    with qtbot.waitSignal(window.bridge.searched):
        window.search.set_text("invoice from the plumber in 2019")
    shot(window, "06-no-match")

    assert window.status.problems.isVisible()
    dialog = window.show_problems()
    qtbot.waitExposed(dialog)
    shot(window, "07-errors-status")
    shot(dialog, "08-errors-list")
    dialog.close()

    settings = window.open_settings()
    qtbot.waitExposed(settings)
    shot(settings, "09-settings")
    settings.reject()

    themed("dark")
    with qtbot.waitSignal(window.bridge.searched):
        window.search.set_text("whiteboard pricing")
    settle(window)
    shot(window, "10-results-dark")
