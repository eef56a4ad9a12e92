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

from core.errors import ExtractError
from core.extract.tags import shown
from core.model import Locator, MediaPart, Piece

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
    subjects: list[str] = []
    shows: list[str] = []
    if small is not None and readers is not None and readers.tagger is not None:
        subjects, shows = _tag_words(readers, small)
    seen = ""
    if small is not None and readers is not None and readers.ocr is not None:
        seen = readers.ocr.read(small)
    text, gist = describe(path, taken, subjects, shows, seen, camera, place)
    locator: Locator = {"taken": taken.isoformat()} if taken else {}
    if place:
        locator["gps"] = [round(place[0], 6), round(place[1], 6)]
    # Metadata for the card, kept out of what is embedded.
    locator["pixels"] = [width, height]
    if readers is not None and readers.tagger is not None and not shows:
        locator["shows"] = "no recognisable subject (offline tags found nothing)"
    return [
        Piece(
            kind="image",
            title=path.name,
            text=text,
            locator=locator,
            mime=mime,
            media=[_media_part(path, mime, small, orientation, width * height, readers)],
            embed_text=gist if gist != text else "",
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


def _tag_words(readers: Readers, image: Any) -> tuple[list[str], list[str]]:
    """(the main word of each thing seen, every plain word for them); none if the optional
    models fail."""
    assert readers.tagger is not None
    try:
        tags = readers.tagger.tags(image)
    except Exception as exc:  # a broken optional model must not make every photo an error
        log.warning("photo tags unavailable: %s", exc)
        return [], []
    words = shown(tags)
    subjects: list[str] = []
    for word in (t.words[0] for t in tags if t.words):
        if word.lower() not in {s.lower() for s in subjects}:
            subjects.append(word)
    return subjects, words


# Names cameras and phones give files ("IMG_2041", "DSC01234", "PXL_20260312_150400"): they
# say nothing a person would search for, and every photo would share them.
CAMERA_NAME = re.compile(
    r"^(?:img|dsc[nf]?|dcim|pxl|mvimg|vid|pano|photo|image|picture|screenshot|gopr|dji|p|"
    r"wp|signal|whatsapp image|[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})?[\s_\-.]*[0-9_\-. ]*$",
    re.IGNORECASE,
)
# Folders that hold photos by default, named after the device rather than the subject.
CAMERA_FOLDERS = frozenset(
    "camera roll,camera,dcim,photos,pictures,images,img,screenshots,download,downloads,"
    "100apple,100andro,100canon,100msdcf,upload,uploads".split(",")
)


def describe(
    path: Path,
    taken: datetime | None,
    subjects: list[str],
    shows: list[str],
    seen: str,
    camera: str,
    place: tuple[float, float] | None,
) -> tuple[str, str]:
    """(the photo's text for snippets and keyword search, the part of it that is embedded).

    What it shows, in a caption-like sentence and the tags' words, the text in it, the folder
    and date words a person would use, and the file name when it is more than a camera's
    counter. Camera and coordinates are searchable words but not part of the meaning.
    """
    lines = []
    if subjects:
        caption = _listed(subjects)
        lines.append(caption[:1].upper() + caption[1:] + ".")
        lines.append(f"Shows: {', '.join(shows)}.")
    if seen:
        lines.append(f"Text in the image:\n{seen}")
    context = []
    extra = []
    name = words_of(path.stem)
    if name and not CAMERA_NAME.match(name):
        # Numbers in a name (a timestamp, a counter) mean nothing to embed; they stay
        # searchable as words. "pasted 20261202 044459" is embedded as "pasted".
        meaning = " ".join(w for w in name.split() if not w.isdigit())
        if meaning:
            context.append(meaning)
        if meaning != name:
            extra.append(f"File {name}.")
    folder = words_of(path.parent.name)
    if folder and folder.lower() not in CAMERA_FOLDERS:
        context.append(f"in folder {folder}")
    if taken:
        context.append(f"taken {taken.day} {taken:%B %Y}")
    if context:
        lines.append(("Photo " if subjects or seen else "A photo ") + ", ".join(context) + ".")
    gist = "\n".join(lines) or "A photo."
    if camera:
        extra.append(f"Camera: {camera}.")
    if place:
        extra.append(f"{gps_text(*place)}.")
    return ("\n".join([gist, " ".join(extra)]) if extra else gist), gist


def _listed(things: list[str]) -> str:
    named = [f"{'an' if t[:1].lower() in 'aeiou' else 'a'} {t}" for t in things[:4]]
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]


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
