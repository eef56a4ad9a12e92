"""The PDF preview's page: the one where the words are, rendered to a width, words boxed."""

from __future__ import annotations

from pathlib import Path

from core.pdfpage import best_page, render_page
from tests.helpers import make_pdf

PAGES = [
    "Home insurance policy for the house",
    "Damage caused by burst pipes is covered",
    "How to claim: call the claims line",
    "Exclusions: wear and tear",
]


def test_the_page_with_the_words_is_chosen_and_its_words_are_boxed(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "policy.pdf", PAGES)
    assert best_page(pdf, 1, 4, ["burst", "pipes"]) == 2
    assert best_page(pdf, 1, 4, ["claims"]) == 3
    assert best_page(pdf, 1, 4, []) == 1 and best_page(pdf, 3, 4, ["nothing"]) == 3

    page = render_page(pdf, 2, 700, ["burst", "pipes"])
    assert (page.page, page.pages, page.width) == (2, 4, 700)
    assert page.height > page.width and len(page.rgb) == 3 * page.width * page.height
    assert len(page.marks) == 2  # "burst" and "pipes"
    for x, y, w, h in page.marks:
        assert 0 <= x < 1 and 0 <= y < 1 and 0 < w < 0.5 and 0 < h < 0.1
    # the words sit on the page's one line of text, near its top (made at y = 700 of 792)
    assert all(abs(y - (792 - 712) / 792) < 0.03 for _x, y, _w, _h in page.marks)
    assert render_page(pdf, 9, 200).page == 4  # clamped
