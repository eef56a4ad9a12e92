"""Extractors turn one file into pieces, one extractor per kind of file.

``extractor_for(path)`` picks by extension; files no extractor claims are skipped and
counted by the indexer, not treated as errors.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from core.errors import ExtractError
from core.extract.audio import extract_audio
from core.extract.image import extract_image
from core.extract.pdf import extract_pdf
from core.extract.readers import Readers, default_readers
from core.extract.text import extract_text
from core.extract.video import extract_video
from core.model import Piece
from core.paths import storable

Extractor = Callable[[Path, Readers], list[Piece]]

# Bump when extractors cut or word pieces differently: an index written by an older version
# re-extracts every file at its next run (vectors of unchanged pieces are not re-used by hash).
# 2: empty notes vectorless, heading-only sections merged, a lead piece per note, photos
#    described by what they show rather than their file name and pixel size.
VERSION = 2


def _text(path: Path, readers: Readers) -> list[Piece]:
    return extract_text(path)


def _pdf(path: Path, readers: Readers) -> list[Piece]:
    return extract_pdf(path, readers)


def _image(path: Path, readers: Readers) -> list[Piece]:
    return extract_image(path, readers)


def _audio(path: Path, readers: Readers) -> list[Piece]:
    return extract_audio(path, readers)


def _video(path: Path, readers: Readers) -> list[Piece]:
    return extract_video(path, readers)


TEXT_SUFFIXES = frozenset({".md", ".markdown", ".mdown", ".txt", ".text", ".rst", ".org"})
PDF_SUFFIXES = frozenset({".pdf"})
IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".heic", ".heif"}
)
AUDIO_SUFFIXES = frozenset({".mp3", ".wav", ".flac", ".m4a", ".aac", ".ogg", ".oga", ".opus"})
VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi"})

# kind -> (its suffixes, its extractor): the one table both lookups below are built from.
_KINDS: dict[str, tuple[frozenset[str], Extractor]] = {
    "note": (TEXT_SUFFIXES, _text),
    "pdf": (PDF_SUFFIXES, _pdf),
    "image": (IMAGE_SUFFIXES, _image),
    "audio": (AUDIO_SUFFIXES, _audio),
    "video": (VIDEO_SUFFIXES, _video),
}
_KIND_BY_SUFFIX = {sfx: kind for kind, (suffixes, _) in _KINDS.items() for sfx in suffixes}


# The largest file of each kind Loci reads, checked on the size the scan saw, before a byte
# is hashed (a 20 GB sparse ".md" is refused at once). 0: no limit (audio and video are
# decoded as a stream, in bounded memory).
SIZE_LIMITS = {"note": 20 << 20, "pdf": 2 << 30, "image": 512 << 20, "audio": 0, "video": 0}


def size_limit(kind: str) -> int:
    return SIZE_LIMITS.get(kind, 0)


def extractor_for(path: Path) -> Extractor | None:
    kind = kind_of(path)
    return _KINDS[kind][1] if kind else None


def kind_of(path: Path) -> str | None:
    return _KIND_BY_SUFFIX.get(path.suffix.lower())


def extract(path: Path, readers: Readers | None = None) -> list[Piece]:
    """Pieces of ``path``; raises ExtractError with a user-facing reason.

    ``readers`` are the OCR and speech models media are read with; by default the process's
    shared ones (their models load on first use).
    """
    extractor = extractor_for(path)
    if extractor is None:
        raise ExtractError(f"unsupported file type {path.suffix or '(none)'}")
    if readers is None:
        readers = default_readers()
    try:
        pieces = extractor(path, readers)
        for piece in pieces:  # names from a non-UTF-8 file system must still be storable
            piece.title = storable(piece.title)
            piece.text = storable(piece.text)
        return pieces
    except ExtractError:
        raise
    except PermissionError:
        raise ExtractError("permission denied", retry=True) from None
    except FileNotFoundError:
        raise ExtractError("file disappeared or is a broken link") from None
    except OSError as exc:
        raise ExtractError(exc.strerror or str(exc)) from None
    except MemoryError:
        raise ExtractError("file too large to read") from None
    except Exception as exc:  # a parser's own failure: report it, never stop the run
        raise ExtractError(f"could not parse: {exc}") from None
