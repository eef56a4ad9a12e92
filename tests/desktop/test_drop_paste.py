"""Dropped files, dropped text and pasted images become queries."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication, QImage
from PySide6.QtWidgets import QApplication


def drop(window, mime: QMimeData) -> None:
    """What a drag from the file manager delivers: an enter the window accepts, then the drop."""
    enter = QDragEnterEvent(
        QPoint(300, 300),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    event = QDropEvent(
        QPointF(300, 300),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window, event)


def test_dropping_a_file_searches_by_that_file(make_window, corpus, qtbot):
    window = make_window([corpus])
    dropped = corpus / "notes" / "sourdough.md"
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(dropped))])
    with qtbot.waitSignal(window.bridge.searched):
        drop(window, mime)
    assert window.search.files == [dropped]
    chips = window.search.chips()
    assert len(chips) == 1 and chips[0].path == dropped
    # a file searched with is never its own hit
    assert str(dropped) not in [h.path for h in window.model.hits]
    # removing the chip clears the query
    chips[0].close_button.click()
    assert window.search.files == [] and window.model.rowCount() == 0


def test_dropped_file_plus_typed_text_is_one_query(make_window, corpus, qtbot):
    window = make_window([corpus])
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(corpus / "notes" / "cats.md"))])
    with qtbot.waitSignal(window.bridge.searched):
        drop(window, mime)
    request = None
    with qtbot.waitSignal(window.bridge.searched):
        window.search.edit.setText("sofa")
        request = window.request()
        window.search.force()
    assert request.files and request.text == "sofa"


def test_dropping_text_searches_for_it(make_window, corpus, qtbot):
    window = make_window([corpus])
    mime = QMimeData()
    mime.setText("three pricing tiers\nper seat")
    with qtbot.waitSignal(window.bridge.searched):
        drop(window, mime)
    assert window.search.text == "three pricing tiers per seat"
    assert window.model.hits[0].path.endswith("pricing.md")


def test_pasting_an_image_searches_by_it(make_window, corpus, qtbot, tmp_path):
    from PIL import Image
    from skimage import data as samples  # CC0 sample photos

    window = make_window([corpus], models=True)  # the photo-tag model describes the paste
    Image.fromarray(samples.chelsea()).save(tmp_path / "chelsea.png")  # a cat
    image = QImage(str(tmp_path / "chelsea.png"))
    QGuiApplication.clipboard().setImage(image)
    window.focus_search()
    with qtbot.waitSignal(window.bridge.searched):
        qtbot.keyClick(window.search.edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    [pasted] = window.search.files
    assert pasted == tmp_path / "pasted" / "pasted-image-1.png"
    assert QImage(str(pasted)).size() == image.size()
    assert window.search.chips()[0].label.text() == "Pasted image"
    # an unindexed photo is described on the fly by what it shows (offline: its tags), so a
    # pasted cat finds the memories about the cat, not every photo
    assert window.model.hits and "cat" in Path(window.model.hits[0].path).name
