"""The offline readers that turn media into text: OCR, speech-to-text and photo tags.

Extractors take a ``Readers``; each reader loads its model lazily on first use, so building
one costs nothing and a folder of notes never loads a speech model. The app wires one
``Readers`` per process (models are large); ``default_readers()`` is the fallback for callers
that pass none.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from core.config import data_dir
from core.extract.ocr import RapidOcr, ocr_available
from core.extract.tags import OfflineTagger, Tag, tagger_available
from core.extract.transcribe import Spoken, WhisperTranscriber, whisper_available


class Transcriber(Protocol):
    name: str

    def transcribe(self, samples: np.ndarray) -> list[Spoken]:
        """Speech in ``samples`` (float32 mono at 16 kHz)."""
        ...


class Ocr(Protocol):
    def read(self, image: Any) -> str:
        """Text in a PIL image, one line per line of text, top to bottom."""
        ...


class Tagger(Protocol):
    def tags(self, image: Any) -> list[Tag]:
        """What an upright RGB PIL image shows, most confident first."""
        ...


@dataclass(frozen=True)
class Window:
    """How a recording is cut into pieces: at most ``seconds`` long, each one starting
    ``overlap`` seconds before the one before it ends."""

    seconds: float
    overlap: float


# Gemini Embedding 2 hears at most 180 s of audio and watches at most 120 s of video per
# request. The overlap: a sentence cut at a boundary is heard whole in one of the two pieces.
AUDIO_WINDOW = Window(seconds=180.0, overlap=5.0)
VIDEO_WINDOW = Window(seconds=120.0, overlap=2.0)


@dataclass
class Readers:
    """What extractors may use to read media; ``None`` turns a reader off.

    ``media_bytes``: re-encode audio/video segments (MP3 / MP4) and keyframes for providers
    that embed media (Gemini). A text-only provider does not need them, and skipping them
    saves the encoding time.

    ``audio_window`` / ``video_window``: how recordings are cut; the app always uses the
    provider limits above. Tests of the cutting itself pass short windows so that they need
    seconds of generated media, not minutes.
    """

    ocr: Ocr | None = None
    transcriber: Transcriber | None = None
    tagger: Tagger | None = None
    media_bytes: bool = True
    audio_window: Window = AUDIO_WINDOW
    video_window: Window = VIDEO_WINDOW


_default: Readers | None = None
_default_lock = threading.Lock()


def default_readers() -> Readers:
    """The process's shared readers: OCR, speech and photo tags where their packages are
    installed (tags come with the optional ``loci-desktop[vision]`` extra)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Readers(
                ocr=RapidOcr() if ocr_available() else None,
                transcriber=(
                    WhisperTranscriber(cache_dir=_models_dir(data_dir()))
                    if whisper_available()
                    else None
                ),
                tagger=OfflineTagger() if tagger_available() else None,
            )
        return _default


def _models_dir(base: Path) -> Path:
    return base / "models"
