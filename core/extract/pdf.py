"""PDFs: text per page with pypdfium2, in windows of at most six pages."""

from __future__ import annotations

from pathlib import Path

from core.model import MediaPart, Piece

PAGES_PER_PIECE = 6  # Gemini Embedding 2 takes at most 6 PDF pages per request


def extract_pdf(path: Path) -> list[Piece]:
    import pypdfium2 as pdfium

    from core.extract import ExtractError

    try:
        doc = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        reason = str(exc)
        if "password" in reason.lower():
            raise ExtractError("PDF is encrypted (password protected)") from None
        raise ExtractError(f"not a readable PDF ({reason})") from None
    try:
        n = len(doc)
        if n == 0:
            raise ExtractError("PDF has no pages")
        title = _title(doc) or path.stem
        pieces: list[Piece] = []
        for first in range(0, n, PAGES_PER_PIECE):
            last = min(first + PAGES_PER_PIECE, n)
            texts = []
            for i in range(first, last):
                page = doc[i]
                textpage = page.get_textpage()
                texts.append(textpage.get_text_bounded().strip())
                textpage.close()
                page.close()
            text = "\n\n".join(t for t in texts if t)
            if not text:
                # A scan with no text layer: findable by name until OCR reads it.
                text = f"{title} (scanned pages {first + 1}–{last}, no text layer)"
            pieces.append(
                Piece(
                    kind="pdf",
                    title=title,
                    text=text,
                    locator={"pages": [first + 1, last]},
                    mime="application/pdf",
                    media=[MediaPart(mime="application/pdf", path=path)],
                )
            )
        return pieces
    finally:
        doc.close()


def _title(doc: object) -> str:
    try:
        meta = doc.get_metadata_dict()  # type: ignore[attr-defined]
    except Exception:
        return ""
    return str(meta.get("Title") or "").strip()
