"""Images: findable offline by name, folder and EXIF date; the pixels go to Gemini."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from core.model import MediaPart, Piece

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


def extract_image(path: Path) -> list[Piece]:
    from PIL import Image, UnidentifiedImageError

    from core.extract import ExtractError

    Image.MAX_IMAGE_PIXELS = 400_000_000  # 100+ MP photos are real; decompression bombs are not
    try:
        with Image.open(path) as img:
            img.verify()  # catches corrupt files without decoding all pixels
        with Image.open(path) as img:
            width, height = img.size
            taken = exif_date(img)
            img.draft("RGB", (64, 64))  # cheap decode of a tiny version: catches truncation
            img.load()
    except UnidentifiedImageError:
        raise ExtractError("not a readable image (unknown or corrupt format)") from None
    except (SyntaxError, ValueError, Image.DecompressionBombError, OSError) as exc:
        raise ExtractError(f"corrupt image ({exc})") from None
    words = words_of(path.stem)
    folder = path.parent.name
    parts = [f"Photo {words}" if words else "Photo", f"in folder {words_of(folder)}"]
    if taken:
        parts.append(f"taken {taken:%d %B %Y}")
    text = ", ".join(parts) + f". {width}×{height} pixels."
    locator = {"taken": taken.isoformat()} if taken else {}
    mime = MIME.get(path.suffix.lower(), "image/png")
    return [
        Piece(
            kind="image",
            title=path.name,
            text=text,
            locator=locator,
            mime=mime,
            media=[MediaPart(mime=mime, path=path)],
        )
    ]


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
