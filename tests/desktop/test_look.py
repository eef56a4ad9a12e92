"""One look: Settings and the problems dialog styled like the window, in both themes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import QAbstractButton

from desktop.status import ProblemsDialog
from tests.desktop.conftest import shot


def contrast(image, rect) -> float:
    """How far the most different pixel in ``rect`` is from the area's corner (luminance)."""
    corner = QColor(image.pixel(rect.left() + 1, rect.top() + 1)).lightnessF()
    most = 0.0
    for y in range(rect.top(), rect.bottom()):
        for x in range(rect.left(), rect.right()):
            most = max(most, abs(QColor(image.pixel(x, y)).lightnessF() - corner))
    return most


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_settings_has_no_stock_icons_a_small_exclude_box_and_visible_checkboxes(
    make_window, corpus, qtbot, themed, theme
):
    themed(theme)
    window = make_window([corpus])
    dialog = window.open_settings()
    qtbot.waitExposed(dialog)
    buttons = dialog.findChildren(QAbstractButton)
    assert buttons and all(b.icon().isNull() for b in buttons)  # no floppy disk, no red X
    lines = dialog.excludes.fontMetrics().lineSpacing()
    assert dialog.excludes.height() <= lines * 3 + 16  # three lines, not five
    # "Local only" stands out from the list in both themes
    tree = dialog.folders
    item = tree.topLevelItem(0)
    rect = tree.visualItemRect(item)
    rect.setLeft(tree.header().sectionPosition(1))
    rect.setWidth(tree.header().sectionSize(1))
    image = tree.viewport().grab().toImage()
    assert contrast(image, rect) > 0.35, theme
    item.setCheckState(1, Qt.CheckState.Checked)
    assert contrast(tree.viewport().grab().toImage(), rect) > 0.25
    shot(dialog, f"09-settings-{theme}")
    dialog.reject()


def test_problems_dialog_shows_long_reasons_whole_and_copies_them(make_window, qtbot, themed):
    themed("light")
    reason = (
        "cannot read the PDF: the file ends before its cross-reference table (truncated "
        "download?); pdfium said: Incorrect password or unsupported encryption handler in "
        "object 12 of the trailer, at byte 40,112 of 40,960"
    )
    failures = [("/home/me/Notes/scans/tax-2019.pdf", reason), ("/home/me/Notes/a.jpg", "bad")]
    dialog = ProblemsDialog(failures, ["/home/me/Notes"])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    table = dialog.table
    line = table.fontMetrics().lineSpacing()
    qtbot.waitUntil(lambda: table.rowHeight(0) >= 2.5 * line)
    assert table.item(0, 1).text() == reason  # whole, wrapped onto lines rather than cut
    assert table.rowHeight(1) < 2 * line
    shot(dialog, "08-errors-list")

    dialog.copy_all_button.click()
    text = QGuiApplication.clipboard().text()
    assert text.splitlines() == [
        f"/home/me/Notes/scans/tax-2019.pdf: {reason}",
        "/home/me/Notes/a.jpg: bad",
    ]
    table.selectRow(1)
    qtbot.keyClick(table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == "/home/me/Notes/a.jpg: bad"
    assert [a.text() for a in table.actions()] == ["Copy"]  # also on right-click
