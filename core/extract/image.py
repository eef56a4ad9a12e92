"""Images: findable offline by name, folder, EXIF date, camera and place, the text in them (OCR)
and what they show (tags, with the ``vision`` extra).

The pixels go to Gemini, upright and as PNG/JPEG. HEIC/HEIF (iPhone photos) open through
``pillow-heif``.
"""

from __future__ import annotations

import functools
import io
import logging
import math
import re
import warnings
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.model import MediaPart, Piece

if TYPE_CHECKING:
    from core.extract.readers import Readers

log = logging.getLogger(__name__)

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
EXIF_MAKE = 271
EXIF_MODEL = 272
GPS_IFD = 0x8825
GPS_LAT_REF, GPS_LAT, GPS_LON_REF, GPS_LON = 1, 2, 3, 4
HEIF_SUFFIXES = frozenset({".heic", ".heif"})


@functools.cache
def heif_support() -> bool:
    """Teach Pillow to open HEIC/HEIF, once per process; False without ``pillow-heif``."""
    try:
        from pillow_heif import register_heif_opener
    except ImportError:
        return False
    register_heif_opener()
    return True


def extract_image(path: Path, readers: Readers | None = None) -> list[Piece]:
    from PIL import Image, UnidentifiedImageError

    from core.extract import ExtractError

    Image.MAX_IMAGE_PIXELS = 400_000_000  # 100+ MP photos are real; decompression bombs are not
    # Past FULL_DECODE_LIMIT the pixels are never decoded (see reduced()), so Pillow's warning
    # about a big image says nothing the user must act on; past 2 × the limit it is an error.
    warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
    mime = MIME.get(path.suffix.lower(), "image/png")
    if path.suffix.lower() in HEIF_SUFFIXES and not heif_support():
        raise ExtractError("HEIC/HEIF images need the pillow-heif package")
    try:
        with Image.open(path) as img:
            img.verify()  # catches corrupt files without decoding all pixels
        with Image.open(path) as img:
            width, height = img.size
            taken = exif_date(img)
            camera = exif_camera(img)
            place = exif_gps(img)
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
    if camera:
        text += f" Camera: {camera}."
    if place:
        text += f" {gps_text(*place)}."
    if small is not None and readers is not None and readers.tagger is not None:
        shows = _tag_words(readers, small)
        if shows:
            text += f"\nShows: {', '.join(shows)}."
    if small is not None and readers is not None and readers.ocr is not None:
        seen = readers.ocr.read(small)
        if seen:
            text += f"\nText in the image:\n{seen}"
    locator: dict[str, Any] = {"taken": taken.isoformat()} if taken else {}
    if place:
        locator["gps"] = [round(place[0], 6), round(place[1], 6)]
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


def _tag_words(readers: Readers, image: Any) -> list[str]:
    """Plain words for what the photo shows; none if the optional models fail."""
    from core.extract.tags import shown

    assert readers.tagger is not None
    try:
        return shown(readers.tagger.tags(image))
    except Exception as exc:  # a broken optional model must not make every photo an error
        log.warning("photo tags unavailable: %s", exc)
        return []


def exif_camera(img: object) -> str:
    """'Apple iPhone 13 mini' from EXIF Make + Model; the make once when the model repeats it
    ('Canon' + 'Canon EOS R6' -> 'Canon EOS R6')."""
    try:
        exif = img.getexif()  # type: ignore[attr-defined]
    except Exception:
        return ""
    make, model = (_clean(exif.get(tag)) for tag in (EXIF_MAKE, EXIF_MODEL))
    if make and model and model.lower().startswith(make.split()[0].lower()):
        return model
    return " ".join(w for w in (make, model) if w)


def _clean(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return " ".join(str(value or "").replace("\x00", " ").split())


def exif_gps(img: object) -> tuple[float, float] | None:
    """(latitude, longitude) in signed degrees from EXIF GPS tags, or None."""
    try:
        gps = img.getexif().get_ifd(GPS_IFD)  # type: ignore[attr-defined]
        lat = _degrees(gps.get(GPS_LAT), gps.get(GPS_LAT_REF), "S")
        lon = _degrees(gps.get(GPS_LON), gps.get(GPS_LON_REF), "W")
    except Exception:
        return None
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    if lat == 0 and lon == 0:  # cameras write zeros when they had no fix
        return None
    return lat, lon


def _degrees(dms: Any, ref: Any, negative: str) -> float | None:
    if not dms:
        return None
    parts = [float(x) for x in (dms if isinstance(dms, tuple | list) else (dms,))]
    value = sum(p / 60**i for i, p in enumerate(parts[:3]))
    if not math.isfinite(value):
        return None
    return -value if _clean(ref).upper() == negative else value


def gps_text(lat: float, lon: float) -> str:
    """'GPS 38.71 N, 9.14 W': the place as coordinates (naming it would need a network)."""
    return f"GPS {abs(lat):.2f} {'S' if lat < 0 else 'N'}, {abs(lon):.2f} {'W' if lon < 0 else 'E'}"


def words_of(name: str) -> str:
    """'IMG_2041-beach_day' -> 'IMG 2041 beach day': separators become spaces for the model."""
    return re.sub(r"[_\-.]+", " ", name).strip()
