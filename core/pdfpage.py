"""One PDF page for the preview: the page that matched, rendered to a width, with the words.

A PDF piece covers a window of up to six pages; the preview shows the page in that window
where the query's words occur most (the text layer says), rendered at the panel's width,
with the boxes of those words so the window can highlight them. Pages without a text layer
(scans) render the same, without highlights.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.pdfium import PDFIUM_LOCK

MAX_WIDTH = 2400  # px: enough for a zoomed-in page on a high-DPI screen


@dataclass
class PageImage:
    """An RGB rendering of one page and where the query's words are on it."""

    rgb: bytes
    width: int
    height: int
    page: int  # 1-based
    pages: int
    # (x, y, w, h) of each found word as fractions of the page's width and height
    marks: list[tuple[float, float, float, float]] = field(default_factory=list)


def _term_boxes(textpage: object, terms: Sequence[str], size: tuple[float, float]) -> list:
    pw, ph = size
    boxes = []
    for term in dict.fromkeys(t for t in terms if len(t) > 2):
        searcher = textpage.search(term, match_case=False)  # type: ignore[attr-defined]
        try:
            while (found := searcher.get_next()) is not None:
                start, count = found
                for k in range(textpage.count_rects(start, count)):  # type: ignore[attr-defined]
                    left, bottom, right, top = textpage.get_rect(k)  # type: ignore[attr-defined]
                    boxes.append(
                        (left / pw, (ph - top) / ph, (right - left) / pw, (top - bottom) / ph)
                    )
        finally:
            searcher.close()
    return boxes


def best_page(path: Path, first: int, last: int, terms: Sequence[str]) -> int:
    """The page in ``first``–``last`` where ``terms`` occur most (``first`` if nowhere)."""
    import pypdfium2 as pdfium

    if not terms:
        return first
    best, most = first, 0
    with PDFIUM_LOCK:
        doc = pdfium.PdfDocument(str(path))
        try:
            last = min(last, len(doc))
            for number in range(max(1, first), last + 1):
                page = doc[number - 1]
                textpage = page.get_textpage()
                try:
                    found = len(_term_boxes(textpage, terms, page.get_size()))
                finally:
                    textpage.close()
                    page.close()
                if found > most:
                    best, most = number, found
        finally:
            doc.close()
    return best


def render_page(path: Path, page: int, width: int, terms: Sequence[str] = ()) -> PageImage:
    """Page ``page`` (1-based, clamped) rendered ``width`` px wide, with the words' boxes."""
    import pypdfium2 as pdfium

    width = max(64, min(int(width), MAX_WIDTH))
    with PDFIUM_LOCK:  # the indexer reads PDFs on the sync thread meanwhile
        doc = pdfium.PdfDocument(str(path))
        try:
            pages = len(doc)
            number = max(1, min(page, pages))
            pdf_page = doc[number - 1]
            try:
                size = pdf_page.get_size()
                bitmap = pdf_page.render(scale=width / max(size[0], 1))
                img = bitmap.to_pil().convert("RGB")  # a copy: the bitmap is freed below
                bitmap.close()
                textpage = pdf_page.get_textpage()
                try:
                    marks = _term_boxes(textpage, terms, size)
                finally:
                    textpage.close()
            finally:
                pdf_page.close()
        finally:
            doc.close()
    return PageImage(img.tobytes(), img.width, img.height, number, pages, marks)
