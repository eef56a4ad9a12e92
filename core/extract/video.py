"""Video (MP4, MOV, MKV, WEBM …): segments of ≤ 120 s with transcript and a keyframe.

Each piece is one window of the clip: its locator holds the start and end second; its text
is the speech of its sound track (time-coded) and any text on screen in its middle keyframe
(slides, signs); for Gemini it carries a small 1 fps MP4 of the window and that keyframe.
"""

from __future__ import annotations

from pathlib import Path

from core.extract.audio import describe, transcript
from core.extract.media import Segment, encode_jpeg, encode_mp4, segments
from core.extract.readers import Readers
from core.model import MediaPart, Piece

MIME = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".mkv": "video/x-matroska",
    ".webm": "video/webm",
    ".avi": "video/x-msvideo",
}


def extract_video(path: Path, readers: Readers) -> list[Piece]:
    mime = MIME.get(path.suffix.lower(), "video/mp4")
    pieces = []
    window = readers.video_window  # ≤ 120 s: what Gemini watches per request
    for seg in segments(path, window.seconds, window.overlap, video=True):
        key = keyframe(seg)
        texts = [transcript(seg, readers)]
        if key is not None and readers.ocr is not None:
            from PIL import Image

            on_screen = readers.ocr.read(Image.fromarray(key))
            if on_screen:
                texts.append(f"On screen: {on_screen}")
        text = "\n".join(t for t in texts if t)
        media = []
        if readers.media_bytes:
            media.append(
                MediaPart(
                    mime="video/mp4",
                    data=encode_mp4(seg.keyframes, seg.samples, seg.end - seg.start),
                )
            )
            if key is not None:
                media.append(MediaPart(mime="image/jpeg", data=encode_jpeg(key)))
        pieces.append(
            Piece(
                kind="video",
                title=path.name,
                text=text or describe(path, "Video", seg),
                locator={"seconds": [round(seg.start, 2), round(seg.end, 2)]},
                mime=mime,
                media=media,
            )
        )
    return pieces


def keyframe(seg: Segment):  # type: ignore[no-untyped-def]
    """The keyframe nearest the middle of the segment (its most typical picture)."""
    if not seg.keyframes:
        return None
    middle = (seg.end - seg.start) / 2
    return min(seg.keyframes, key=lambda k: abs(k[0] - middle))[1]
