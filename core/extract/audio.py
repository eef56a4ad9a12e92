"""Audio (MP3, WAV, FLAC, M4A, OGG …): segments of ≤ 180 s with their transcript.

Each piece is one window of the recording: its locator holds the start and end second, its
text the speech heard in it, time-coded (``[1:02] …``), and for providers that listen to
audio (Gemini) an MP3 of just that window.
"""

from __future__ import annotations

from pathlib import Path

from core.extract.image import words_of
from core.extract.media import Segment, clock, encode_mp3, segments
from core.extract.readers import Readers
from core.model import MediaPart, Piece

MIME = {
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".flac": "audio/flac",
    ".m4a": "audio/mp4",
    ".aac": "audio/aac",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
}


def extract_audio(path: Path, readers: Readers) -> list[Piece]:
    mime = MIME.get(path.suffix.lower(), "audio/mpeg")
    pieces = []
    window = readers.audio_window  # ≤ 180 s: what Gemini hears per request
    for seg in segments(path, window.seconds, window.overlap, video=False):
        spoken = transcript(seg, readers)
        media = []
        if readers.media_bytes and seg.samples.size:
            media.append(MediaPart(mime="audio/mp3", data=encode_mp3(seg.samples)))
        pieces.append(
            Piece(
                kind="audio",
                title=path.name,
                text=spoken or describe(path, "Audio recording", seg),
                locator={"seconds": [round(seg.start, 2), round(seg.end, 2)]},
                mime=mime,
                media=media,
            )
        )
    return pieces


def transcript(seg: Segment, readers: Readers) -> str:
    """Speech in the segment, one line per utterance, each with its time in the file."""
    if readers.transcriber is None or not seg.samples.size:
        return ""
    lines = [
        f"[{clock(seg.start + s.start)}] {s.text}"
        for s in readers.transcriber.transcribe(seg.samples)
    ]
    return "\n".join(lines)


def describe(path: Path, what: str, seg: Segment) -> str:
    """Text for a segment with no words in it: still findable by name, folder and time."""
    name = words_of(path.stem)
    folder = words_of(path.parent.name)
    text = f"{what} {name}" if name else what
    if folder:
        text += f", in folder {folder}"
    return f"{text}, {clock(seg.start)}–{clock(seg.end)}."
