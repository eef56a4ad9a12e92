"""Images: findable offline by name, folder, EXIF date and the text in them (OCR).

The pixels go to Gemini, upright and as PNG/JPEG.
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.model import MediaPart, Piece

if TYPE_CHECKING:
    from core.extract.readers import Readers

MIME = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".bmp": "image/bmp",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".heic": "image/heic",
    ".heif": "image/heif",
}
EXIF_DATETIME_ORIGINAL = 36867
EXIF_DATETIME = 306
EXIF_IFD = 0x8769
EXIF_ORIENTATION = 274


def extract_image(path: Path, readers: Readers | None = None) -> list[Piece]:
    from PIL import Image, UnidentifiedImageError

    from core.extract import ExtractError

    Image.MAX_IMAGE_PIXELS = 400_000_000  # 100+ MP photos are real; decompression bombs are not
    mime = MIME.get(path.suffix.lower(), "image/png")
    try:
        with Image.open(path) as img:
            img.verify()  # catches corrupt files without decoding all pixels
        with Image.open(path) as img:
            width, height = img.size
            taken = exif_date(img)
            orientation = _orientation(img)
            small = reduced(img, WORKING_SIDE)
    except UnidentifiedImageError:
        raise ExtractError("not a readable image (unknown or corrupt format)") from None
    except (SyntaxError, ValueError, Image.DecompressionBombError, OSError) as exc:
        raise ExtractError(f"corrupt image ({exc})") from None
    if orientation in (5, 6, 7, 8):  # the camera was turned: width and height swap
        width, height = height, width
    words = words_of(path.stem)
    folder = path.parent.name
    parts = [f"Photo {words}" if words else "Photo", f"in folder {words_of(folder)}"]
    if taken:
        parts.append(f"taken {taken:%d %B %Y}")
    text = ", ".join(parts) + f". {width}×{height} pixels."
    if small is not None and readers is not None and readers.ocr is not None:
        seen = readers.ocr.read(small)
        if seen:
            text += f"\nText in the image:\n{seen}"
    locator = {"taken": taken.isoformat()} if taken else {}
    return [
        Piece(
            kind="image",
            title=path.name,
            text=text,
            locator=locator,
            mime=mime,
            media=[_media_part(path, mime, small, orientation, width * height, readers)],
        )
    ]


# Photos are read (OCR, Gemini) at this size: more pixels add time, not understanding.
WORKING_SIDE = 3072
# Formats without scaled decoding are decoded whole; past this many pixels (~180 MB as RGB)
# their pixels are not read and the image is findable by name, folder and date alone.
FULL_DECODE_LIMIT = 60_000_000
GEMINI_AS_IS = frozenset({"image/png", "image/jpeg"})
GEMINI_MAX_BYTES = 7 * 1024 * 1024


def reduced(img: Any, side: int) -> Any:
    """An upright RGB copy no longer than ``side``, decoded in bounded memory, or None.

    JPEG decodes at 1/2, 1/4 or 1/8 scale straight from the DCT (``draft``), so a 100 MP
    photo never exists in memory at full size.
    """
    from PIL import ImageOps

    if img.format == "JPEG":
        img.draft("RGB", fitted(img.size, side))
    elif img.size[0] * img.size[1] > FULL_DECODE_LIMIT:
        return None
    img.load()
    out = ImageOps.exif_transpose(img.convert("RGB"))
    if max(out.size) > side:
        out.thumbnail((side, side))
    return out


def fitted(size: tuple[int, int], side: int) -> tuple[int, int]:
    """``size`` scaled to fit a ``side`` × ``side`` box (what ``draft`` must be asked for: it
    keeps both dimensions at least as large as requested)."""
    w, h = size
    scale = min(1.0, side / max(w, h, 1))
    return max(1, int(w * scale)), max(1, int(h * scale))


def _orientation(img: Any) -> int:
    try:
        return int(img.getexif().get(EXIF_ORIENTATION, 1))
    except Exception:
        return 1


def _media_part(
    path: Path, mime: str, small: Any, orientation: int, pixels: int, readers: Readers | None
) -> MediaPart:
    """The file itself when Gemini can take it as is, else an upright JPEG of the image.

    HEIC/WEBP/TIFF/GIF/BMP, rotated (EXIF) and very large photos are re-encoded here, where the
    pixels are already decoded.
    """
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    as_is = (
        mime in GEMINI_AS_IS
        and orientation in (0, 1)
        and size <= GEMINI_MAX_BYTES
        and pixels <= 40_000_000
    )
    if as_is or small is None or (readers is not None and not readers.media_bytes):
        return MediaPart(mime=mime, path=path)
    out = io.BytesIO()
    small.save(out, "JPEG", quality=88)
    return MediaPart(mime="image/jpeg", data=out.getvalue())


def exif_date(img: object) -> datetime | None:
    try:
        exif = img.getexif()  # type: ignore[attr-defined]
    except Exception:
        return None
    raw = exif.get_ifd(EXIF_IFD).get(EXIF_DATETIME_ORIGINAL) or exif.get(EXIF_DATETIME)
    if not raw:
        return None
    try:
        return datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None


def words_of(name: str) -> str:
    """'IMG_2041-beach_day' -> 'IMG 2041 beach day': separators become spaces for the model."""
    return re.sub(r"[_\-.]+", " ", name).strip()
