"""Small windows: at 800×560 every panel stays usable and long text elides, never clips."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from core.model import Hit
from desktop.cards import HitDelegate
from tests.desktop.conftest import shot


@pytest.mark.parametrize("size", [(800, 560), (1600, 1000)])
def test_panels_stay_usable_from_800x560_up(make_window, corpus, qtbot, themed, size):
    themed("light")
    window = make_window([corpus])
    window.resize(*size)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == size)
    assert window.minimumSizeHint().height() <= 560 and window.minimumSizeHint().width() <= 800
    with qtbot.waitSignal(window.bridge.searched):
        window.search.set_text("lighthouse keeper logbook lamp")
    window.flush_selection()
    window.grab()
    qtbot.wait(20)  # the layout settles after the resize (the scratch box shrinks)

    left, preview, recall = window.left, window.preview, window.recall
    assert left.width() >= 330 and preview.width() >= 330  # a card and a preview side by side
    assert preview.stack.height() >= 90  # the note, photo or page itself
    rows = recall.view.viewport().height() // HitDelegate.SIZES["compact"].height()
    assert rows >= (2 if size[1] < 700 else 5), rows
    assert recall.model.rowCount() >= 2
    # a long recall title ends in "…" within the panel instead of being cut mid-word
    title = recall.title
    fm = QFontMetrics(title.font())
    assert fm.horizontalAdvance(title.shown_text()) <= title.width()
    if fm.horizontalAdvance(title.text()) > title.width():
        assert title.shown_text().endswith("…") and title.toolTip()  # the whole on hover
    state = window.status.state
    assert state.shown_text() == "Synced"  # never "Synce"
    shot(window, f"15-layout-{size[0]}x{size[1]}")


def test_a_card_snippet_shows_whole_lines_ending_in_an_ellipsis(make_window, corpus):
    window = make_window([corpus], start=False)
    hit = Hit(
        path=str(corpus / "notes" / "long.md"),
        kind="note",
        score=0.5,
        title="long",
        snippet=" ".join(["the burst pipes in the cellar flooded the floor"] * 8),
        locator={},
        modified=0.0,
        piece=0,
        matched_terms=["pipes"],
    )
    font = QFont(window.font())
    line = QFontMetrics(font).lineSpacing()
    box = QRectF(0, 0, 300, line * 2.6)  # room for two lines and a half
    doc = HitDelegate.snippet_doc(hit, ["pipes"], window.palette(), font, box)
    assert doc.size().height() <= box.height() + 1
    assert doc.toPlainText().endswith("…")
    assert doc.size().height() >= line * 1.9  # and the room is used: two whole lines
    short = HitDelegate.snippet_doc(
        Hit(**{**hit.__dict__, "snippet": "the burst pipes"}), [], window.palette(), font, box
    )
    assert short.toPlainText() == "the burst pipes"


def test_window_and_settings_fit_a_small_screen(make_window, corpus, qtbot):
    """The default size fits the screen (offscreen: 800×600), and Settings scrolls its boxes
    while Save and Cancel stay in view."""
    from desktop.settings_dialog import SettingsDialog
    from desktop.window import default_size

    room = QApplication.primaryScreen().availableGeometry()
    width, height = default_size()
    assert (800, 560) <= (width, height) and width <= max(800, room.width())
    assert height <= max(560, room.height())
    window = make_window([corpus])
    dialog = SettingsDialog(window.settings, parent=window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.height() <= room.height()
    assert dialog.scroll_area.widget().sizeHint().height() > dialog.scroll_area.viewport().height()
    save = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save)
    assert save.isVisible()
    for corner in (save.rect().topLeft(), save.rect().bottomRight()):
        assert dialog.rect().contains(save.mapTo(dialog, corner))
