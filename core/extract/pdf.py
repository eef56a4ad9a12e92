"""PDFs: text per page with pypdfium2, in windows of at most six pages.

A scanned page has no text layer; it is rendered and read by OCR instead. For providers that
read PDFs (Gemini), each window of a longer PDF carries a PDF of just its own pages.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import ExtractError
from core.model import MediaPart, Piece
from core.pdfium import PDFIUM_LOCK

if TYPE_CHECKING:
    from core.extract.readers import Readers

PAGES_PER_PIECE = 6  # Gemini Embedding 2 takes at most 6 PDF pages per request
OCR_DPI = 150  # enough for body text; a letter page renders at 1275×1650
OCR_MAX_SIDE = 3000
MIN_LAYER_CHARS = 20  # fewer characters than this on a page: a scan with a stray label


def extract_pdf(path: Path, readers: Readers | None = None) -> list[Piece]:
    import pypdfium2 as pdfium

    # pdfium is not thread-safe (the app renders thumbnails meanwhile): every call holds the
    # lock, taken per page so a long PDF never starves a thumbnail; OCR runs outside it.
    with PDFIUM_LOCK:
        try:
            doc = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError as exc:
            reason = str(exc)
            if "password" in reason.lower():
                raise ExtractError("PDF is encrypted (password protected)") from None
            raise ExtractError(f"not a readable PDF ({reason})") from None
        n = len(doc)
        title = _title(doc) or path.stem
    try:
        if n == 0:
            raise ExtractError("PDF has no pages")
        pieces: list[Piece] = []
        for first in range(0, n, PAGES_PER_PIECE):
            last = min(first + PAGES_PER_PIECE, n)
            texts = []
            for i in range(first, last):
                scan = None
                with PDFIUM_LOCK:
                    page = doc[i]
                    textpage = page.get_textpage()
                    text = textpage.get_text_bounded().strip()
                    textpage.close()
                    if len(text) < MIN_LAYER_CHARS and readers is not None and readers.ocr:
                        scan = _render_for_ocr(page)
                    page.close()
                if scan is not None and readers is not None and readers.ocr is not None:
                    text = "\n".join(t for t in (text, str(readers.ocr.read(scan))) if t)
                texts.append(text)
            text = "\n\n".join(t for t in texts if t)
            if not text:
                # A scan with no text layer: findable by name until OCR reads it.
                text = f"{title} (scanned pages {first + 1}–{last}, no text layer)"
            if n <= PAGES_PER_PIECE:
                media = [MediaPart(mime="application/pdf", path=path)]  # the file is the window
            elif readers is None or readers.media_bytes:
                with PDFIUM_LOCK:
                    window = _window(doc, first, last)
                media = [MediaPart(mime="application/pdf", data=window)]
            else:
                media = []  # a text-only provider: no copy of the pages needed
            pieces.append(
                Piece(
                    kind="pdf",
                    title=title,
                    text=text,
                    locator={"pages": [first + 1, last]},
                    mime="application/pdf",
                    media=media,
                )
            )
        return pieces
    finally:
        with PDFIUM_LOCK:
            doc.close()


def _window(doc: Any, first: int, last: int) -> bytes:
    """A PDF of pages ``first`` .. ``last - 1`` (0-based) of ``doc``: the model takes at most
    six pages per request, so a window must not carry the whole file."""
    import pypdfium2 as pdfium

    part = pdfium.PdfDocument.new()
    try:
        part.import_pages(doc, pages=list(range(first, last)))
        out = io.BytesIO()
        part.save(out)
        return out.getvalue()
    finally:
        part.close()


def _title(doc: object) -> str:
    try:
        meta = doc.get_metadata_dict()  # type: ignore[attr-defined]
    except Exception:
        return ""
    return str(meta.get("Title") or "").strip()


def _render_for_ocr(page: Any) -> Any:
    """The page as a PIL image at OCR resolution (call with PDFIUM_LOCK held)."""
    width, height = page.get_size()  # points
    # A poster-sized page would render to hundreds of megapixels: cap the long side.
    scale = min(OCR_DPI / 72, OCR_MAX_SIDE / max(width, height, 1))
    bitmap = page.render(scale=scale)
    try:
        return bitmap.to_pil().copy()  # a copy: the bitmap's memory goes with close()
    finally:
        bitmap.close()
