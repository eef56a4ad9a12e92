"""The PDF preview: the matched page, readable at the panel's width, pages, zoom, highlights."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.desktop.conftest import shot
from tests.helpers import make_pdf, write


def test_pdf_preview_shows_the_matched_page_with_pages_and_zoom(make_window, tmp_path, qtbot):
    root = tmp_path / "home"
    make_pdf(
        root / "policy.pdf",
        [
            "Home insurance policy for the house at Elm Road",
            "Water damage caused by burst pipes is covered in winter",
            "How to claim: call the claims line within two days",
            "Exclusions: wear and tear, pets",
        ],
    )
    write(root / "cats.md", "# Cats\nThe cat sleeps on the sofa.\n")
    window = make_window([root])
    window.resize(1180, 760)
    with qtbot.waitSignal(window.bridge.searched):
        window.search.set_text("burst pipes")
    hit = window.current_hit()
    assert hit.path.endswith("policy.pdf") and hit.locator["pages"][0] == 1
    window.flush_selection()
    pdf = window.preview.pdf
    assert window.preview.stack.currentWidget() is pdf
    assert (pdf.page, pdf.pages) == (2, 4)  # the page with the words, not the window's first
    assert pdf.page_label.text() == "Page 2 of 4"
    assert len(pdf.page_widget.marks) == 2  # "burst" and "pipes" highlighted
    # readable: the page fills the panel's width, rendered at that width (not a thumbnail)
    assert pdf.page_widget.width() >= pdf.scroll_area.viewport().width() - 40
    assert pdf.page_widget.width() >= 300
    assert pdf._rendered_width >= pdf.page_widget.width() * pdf.devicePixelRatioF() * 0.9
    shot(window, "16-pdf-preview")

    with qtbot.waitSignal(window.bridge.loaded):
        qtbot.keyClick(pdf.scroll_area, Qt.Key.Key_PageDown)
    assert (pdf.page, pdf.page_label.text()) == (3, "Page 3 of 4")
    assert not pdf.page_widget.marks  # no "burst pipes" on page 3
    with qtbot.waitSignal(window.bridge.loaded):
        pdf.prev_button.click()
    assert pdf.page == 2 and pdf.page_widget.marks

    fit = pdf.page_widget.width()
    with qtbot.waitSignal(window.bridge.loaded):  # sharper pixels for the bigger page
        qtbot.keyClick(pdf.scroll_area, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert pdf.zoom == 1.25 and pdf.zoom_label.text() == "125%"
    assert pdf.page_widget.width() > fit * 1.2
    assert pdf._rendered_width >= pdf.page_widget.width() * pdf.devicePixelRatioF() * 0.9
    pdf.fit_button.click()
    assert pdf.zoom == 1.0 and pdf.page_widget.width() == fit
    pdf.go_to(1)
    qtbot.waitUntil(lambda: pdf.page == 1 and not pdf.prev_button.isEnabled())


def test_pdf_preview_fits_a_small_window(make_window, tmp_path, qtbot):
    root = tmp_path / "home"
    make_pdf(root / "policy.pdf", ["Home insurance", "Damage caused by burst pipes"])
    write(root / "cats.md", "# Cats\nThe cat sleeps on the sofa.\n")
    window = make_window([root])
    window.resize(1600, 1000)
    window.grab()
    window.resize(800, 560)  # the PDF view has not been shown yet: its size is stale
    qtbot.waitUntil(lambda: window.width() == 800)
    with qtbot.waitSignal(window.bridge.searched):
        window.search.set_text("burst pipes")
    window.flush_selection()
    pdf = window.preview.pdf
    qtbot.waitUntil(lambda: pdf.page_widget.width() <= pdf.scroll_area.viewport().width())
    assert pdf.page_widget.width() >= pdf.scroll_area.viewport().width() - 40  # and fills it
    assert not pdf.scroll_area.horizontalScrollBar().isVisible()
    shot(window, "17-pdf-preview-800x560")
