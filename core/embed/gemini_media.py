"""The media gemini-embedding-2 reads: types, per-request limits, transcoding, parts.

An image the model does not read (WebP, GIF, BMP, TIFF…) is re-encoded as PNG or JPEG;
other types must already be one the model takes. :func:`content_parts` turns a text and
its media into the parts of one ``Content``, sending inline what fits and the largest
media through the Files API (``core.embed.gemini_files``).
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from core.embed.base import EmbedError
from core.model import MediaPart, Piece

if TYPE_CHECKING:
    from google import genai
    from google.genai import types

    from core.embed.gemini_files import Files

log = logging.getLogger(__name__)

MAX_IMAGES = 6
# Raw media bytes inline in one call. The service takes ~20 MB per request; base64 adds
# a third, so 14 MiB of media is ~18.7 MiB on the wire. Beyond it, media go through the
# Files API.
INLINE_LIMIT = 14 * 1024 * 1024
IMAGE_TYPES = frozenset({"image/png", "image/jpeg"})
# What the model reads, with the spellings the Gemini API documents.
MEDIA_TYPES = IMAGE_TYPES | {"application/pdf", "audio/mp3", "audio/wav", "video/mp4", "video/mov"}
_MIME_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "audio/mpeg": "audio/mp3",
    "audio/mpeg3": "audio/mp3",
    "audio/x-mp3": "audio/mp3",
    "audio/x-mpeg": "audio/mp3",
    "audio/x-wav": "audio/wav",
    "audio/wave": "audio/wav",
    "audio/vnd.wave": "audio/wav",
    "video/quicktime": "video/mov",
    "video/x-quicktime": "video/mov",
}
# One of these per request (GEMINI_API.md); images are counted against MAX_IMAGES.
_ONE_PER_REQUEST = {"application/pdf": "PDF", "video/mp4": "video", "video/mov": "video"}

__all__ = [
    "IMAGE_TYPES",
    "INLINE_LIMIT",
    "MAX_IMAGES",
    "MEDIA_TYPES",
    "canonical_mime",
    "check_limits",
    "choose_uploads",
    "content_parts",
    "linked",
    "load",
    "part_size",
    "to_png_or_jpeg",
]


def canonical_mime(mime: str) -> str:
    mime = mime.split(";")[0].strip().lower()
    return _MIME_ALIASES.get(mime, mime)


def choose_uploads(sizes: Sequence[int], limit: int) -> set[int]:
    """Which parts go through the Files API: the largest, until the rest fits inline."""
    total = sum(sizes)
    chosen: set[int] = set()
    for i in sorted(range(len(sizes)), key=lambda i: -sizes[i]):
        if total <= limit:
            break
        chosen.add(i)
        total -= sizes[i]
    return chosen


def linked(piece: Piece) -> bool:
    """A note's media are images it links: optional, unlike an image file's own pixels."""
    return piece.kind == "note" and bool(piece.text.strip())


def part_size(part: MediaPart) -> int:
    if part.data is not None:
        return len(part.data)
    try:
        return part.path.stat().st_size if part.path is not None else 0
    except OSError:
        return 0  # the read that follows reports it


def to_png_or_jpeg(data: bytes, mime: str, path: Any = None) -> tuple[bytes, str]:
    """Re-encode an image the model does not read (WebP, GIF, BMP, TIFF…) as PNG or JPEG."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            im.seek(0)  # the first frame of an animation
            alpha = im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info
            out = io.BytesIO()
            if alpha:
                im.convert("RGBA").save(out, "PNG")
                return out.getvalue(), "image/png"
            im.convert("RGB").save(out, "JPEG", quality=90)
            return out.getvalue(), "image/jpeg"
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        # PIL names the in-memory buffer (<_io.BytesIO object at 0x…>); name the file.
        reason = re.sub(r"\s*<_io\.BytesIO object at 0x[0-9a-fA-F]+>", "", str(exc)).strip()
        where = f" {path}" if path is not None else ""
        reason = reason or "not an image"
        raise EmbedError(f"cannot read the {mime} image{where}: {reason}") from None


def load(part: MediaPart) -> tuple[bytes, str]:
    """The bytes and type to send for one medium, transcoded if the model needs it.

    Raises:
        EmbedError: the medium cannot be read or is of a type the model does not take.
    """
    mime = canonical_mime(part.mime)
    try:
        data = part.read()
    except OSError as exc:
        raise EmbedError(f"cannot read {part.path}: {exc.strerror or exc}") from None
    if mime.startswith("image/") and mime not in IMAGE_TYPES:
        return to_png_or_jpeg(data, mime, part.path)
    if mime not in MEDIA_TYPES:
        raise EmbedError(
            f"the model does not read {mime} (it takes PNG, JPEG, PDF, MP3, WAV, MP4, MOV)"
        )
    return data, mime


def check_limits(loaded: Sequence[tuple[bytes, str]]) -> None:
    """Raise :class:`EmbedError` if one request's media break the model's limits."""
    images = sum(1 for _, mime in loaded if mime in IMAGE_TYPES)
    if images > MAX_IMAGES:
        raise EmbedError(f"{images} images in one piece; the model takes at most {MAX_IMAGES}")
    for label in set(_ONE_PER_REQUEST.values()):
        count = sum(1 for _, mime in loaded if _ONE_PER_REQUEST.get(mime) == label)
        if count > 1:
            raise EmbedError(f"{count} {label} files in one piece; the model takes one")


def content_parts(
    client: genai.Client,
    text: str | None,
    media: Sequence[MediaPart],
    files: Files,
    inline_limit: int = INLINE_LIMIT,
    optional_media: bool = False,
) -> tuple[list[types.Part], list[str]]:
    """The parts of one Content, and the names of files uploaded for it.

    Media beyond ``inline_limit`` bytes (the largest first) are uploaded through
    ``files``. ``optional_media``: the media are a note's linked images; one that cannot
    be read is dropped (and named in the log) and the note's text still embedded.

    Raises:
        EmbedError: the media break the model's per-request limits or cannot be read.
    """
    from google.genai import types

    loaded = []
    for m in media:
        try:
            loaded.append(load(m))
        except EmbedError as exc:
            if not optional_media:
                raise
            log.warning("linked image dropped, the note's text is kept: %s", exc)
    check_limits(loaded)
    parts = [types.Part.from_text(text=text)] if text is not None else []
    uploads = choose_uploads([len(data) for data, _ in loaded], inline_limit)
    names: list[str] = []
    try:
        for i, (data, mime) in enumerate(loaded):
            if i in uploads:
                name, uri = files.upload(client, data, mime)
                names.append(name)
                parts.append(types.Part.from_uri(file_uri=uri, mime_type=mime))
            else:
                parts.append(types.Part.from_bytes(data=data, mime_type=mime))
    except EmbedError:
        files.delete(client, names)
        raise
    return parts, names
