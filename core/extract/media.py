"""Streamed audio/video segmentation with PyAV (its wheels bundle FFmpeg).

One pass over the file's packets: audio is decoded and resampled to 16 kHz mono float32,
video is decoded at keyframes only (cheap: the decoder skips every other frame), and fixed
windows of time are handed out as soon as the stream has passed their end. Memory is bounded
by one window (≤ 180 s of 16 kHz audio is 11.5 MB, plus ≤ 1 small keyframe per second), never
by the length of the file.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import ExtractError

SAMPLE_RATE = 16_000
# Containers interleave their streams only roughly; a window closes once every stream is
# this far past its end, so late packets of the other stream still land in it.
INTERLEAVE_SLACK = 5.0
KEYFRAME_BOX = 480  # keyframes are kept this small: enough for OCR of slides and a 1 fps MP4
MAX_BAD_PACKETS = 200


@dataclass
class Segment:
    start: float
    end: float
    samples: np.ndarray  # float32 mono 16 kHz, empty when the file has no audio
    keyframes: list[tuple[float, np.ndarray]] = field(default_factory=list)  # (seconds, RGB)


def open_media(path: Path, what: str) -> Any:
    import av

    try:
        return av.open(str(path), metadata_errors="ignore")
    except (FileNotFoundError, PermissionError, IsADirectoryError):
        raise
    except av.FFmpegError as exc:
        reason = _reason(exc)
        if reason == "End of file":
            raise ExtractError(f"damaged or truncated {what} file (it ends early)") from None
        raise ExtractError(f"not a readable {what} file ({reason})") from None


def _reason(exc: Exception) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return str(text).split(":")[-1].strip() or type(exc).__name__


class _Samples:
    """Decoded audio not yet handed out, addressable by absolute time."""

    def __init__(self) -> None:
        self.chunks: list[np.ndarray] = []
        self.first = 0  # absolute sample index of chunks[0][0]
        self.total = 0  # samples decoded so far

    def add(self, chunk: np.ndarray) -> None:
        if chunk.size:
            self.chunks.append(chunk)
            self.total += chunk.size

    def take(self, start: float, end: float) -> np.ndarray:
        a = max(int(round(start * SAMPLE_RATE)), self.first)
        b = min(int(round(end * SAMPLE_RATE)), self.total)
        if b <= a or not self.chunks:
            return np.zeros(0, dtype=np.float32)
        data = np.concatenate(self.chunks) if len(self.chunks) > 1 else self.chunks[0]
        self.chunks = [data]  # concatenate once per window, not once per take
        # A view, not a copy: the next window's overlap shares the same memory.
        return data[a - self.first : b - self.first]

    def drop_before(self, t: float) -> None:
        cut = int(round(t * SAMPLE_RATE))
        kept: list[np.ndarray] = []
        pos = self.first
        for chunk in self.chunks:
            end = pos + chunk.size
            if end > cut:
                kept.append(chunk[max(0, cut - pos) :])
            pos = end
        self.chunks = kept
        self.first = max(self.first, min(cut, self.total))


def segments(path: Path, length: float, overlap: float, *, video: bool) -> Iterator[Segment]:
    """Windows of ``length`` seconds, each starting ``length - overlap`` after the last.

    Raises:
        ExtractError: unreadable container, no audio stream (audio) or no video stream (video).
    """
    import av

    what = "video" if video else "audio"
    container = open_media(path, what)
    try:
        audio = container.streams.audio[0] if container.streams.audio else None
        vstream = container.streams.video[0] if container.streams.video else None
        if audio is None and vstream is None:
            # An MP4 cut short loses its index (the moov box) and shows no streams at all.
            raise ExtractError(f"damaged or truncated {what} file: no sound or picture in it")
        if video and vstream is None:
            raise ExtractError("no video stream in the file")
        if not video:
            vstream = None  # cover art in an MP3 is a "video" stream: not ours to decode
            if audio is None:
                raise ExtractError("no audio stream in the file")
        if vstream is not None:
            vstream.codec_context.skip_frame = "NONKEY"
        streams = [s for s in (audio, vstream) if s is not None]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        buf = _Samples()
        keys: list[tuple[float, np.ndarray]] = []
        origin: dict[int, float] = {}
        video_end = 0.0
        step = length - overlap
        start = 0.0
        bad = 0

        def window(end: float) -> Segment:
            inside = [(t - start, img) for t, img in keys if start <= t < end]
            if not inside and keys:  # long GOPs: carry the last keyframe before the window
                before = [k for k in keys if k[0] < start]
                if before:
                    inside = [(0.0, before[-1][1])]
            return Segment(start, end, buf.take(start, end), inside)

        def prune(t: float) -> None:
            buf.drop_before(t)
            older = [k for k in keys if k[0] < t]
            keys[:] = older[-1:] + [k for k in keys if k[0] >= t]

        for packet in container.demux(*streams):
            stream = packet.stream
            if (
                vstream is not None
                and stream is vstream
                and packet.pts is not None
                and packet.time_base is not None
            ):
                t = float(packet.pts * packet.time_base)
                video_end = max(video_end, t - origin.setdefault(stream.index, t))
            try:
                frames = packet.decode()
            except av.FFmpegError:
                bad += 1
                if bad > MAX_BAD_PACKETS:
                    break  # keep what decoded; the rest of the file is damaged
                continue
            for frame in frames:
                if stream is audio:
                    for out in resampler.resample(frame):
                        buf.add(out.to_ndarray().reshape(-1).astype(np.float32, copy=False))
                elif frame.time is not None:
                    t = frame.time - origin.setdefault(stream.index, frame.time)
                    if not keys or t >= keys[-1][0] + 1.0:  # at most one per second
                        keys.append((t, _small_rgb(frame)))
            clock = max(buf.total / SAMPLE_RATE, video_end) - (
                INTERLEAVE_SLACK if len(streams) > 1 else 0.0
            )
            while clock >= start + length:
                yield window(start + length)
                start += step
                prune(start)
        if audio is not None:
            for out in resampler.resample(None):
                buf.add(out.to_ndarray().reshape(-1).astype(np.float32, copy=False))
        end = max(buf.total / SAMPLE_RATE, video_end)
        if end <= 0 and not keys:
            if bad:
                raise ExtractError(f"corrupt {what} file (no packet could be decoded)")
            raise ExtractError(f"the {what} stream is empty")
        # The tail: windows until the end is covered; a tail that lies wholly inside the
        # previous window's overlap adds nothing.
        first = True
        while first or start + overlap < end - 0.05:
            yield window(min(start + length, max(end, start)))
            first = False
            start += step
            prune(start)
            if start >= end:
                break
    finally:
        container.close()


def _small_rgb(frame: Any) -> np.ndarray:
    w, h = frame.width, frame.height
    scale = min(1.0, KEYFRAME_BOX / max(w, h, 1))
    w2, h2 = max(2, int(w * scale) // 2 * 2), max(2, int(h * scale) // 2 * 2)
    return frame.reformat(width=w2, height=h2, format="rgb24").to_ndarray()


def encode_mp3(samples: np.ndarray, bitrate: int = 32_000) -> bytes:
    """MP3 (mono, 16 kHz) of the samples: 180 s is ~0.7 MB, well inside an inline request."""
    import av

    out_buf = io.BytesIO()
    with av.open(out_buf, "w", format="mp3") as out:
        stream = out.add_stream("libmp3lame", rate=SAMPLE_RATE, layout="mono")
        stream.bit_rate = bitrate
        _mux_mono(out, stream, samples)
    return out_buf.getvalue()


def _mux_mono(out: Any, stream: Any, samples: np.ndarray) -> None:
    """Encode mono float samples into ``stream`` of container ``out``, flushing the encoder."""
    import av

    frame = av.AudioFrame.from_ndarray(
        samples.reshape(1, -1).astype(np.float32), format="flt", layout="mono"
    )
    frame.sample_rate = SAMPLE_RATE
    for packet in stream.encode(frame):
        out.mux(packet)
    for packet in stream.encode(None):
        out.mux(packet)


def encode_mp4(
    keyframes: list[tuple[float, np.ndarray]], samples: np.ndarray, duration: float
) -> bytes:
    """A small MP4 of the segment: keyframes at 1 fps (H.264) and its sound (AAC, mono).

    Gemini samples video at one frame per second, so a 1 fps re-encode of small keyframes
    keeps what it sees while making a 2-minute segment a few hundred kB.
    """
    import av

    out_buf = io.BytesIO()
    with av.open(out_buf, "w", format="mp4") as out:
        vs = None
        if keyframes:
            h, w = keyframes[0][1].shape[:2]
            vs = out.add_stream("libx264", rate=1, options={"preset": "ultrafast", "crf": "32"})
            vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        aus = None
        if samples.size:
            aus = out.add_stream("aac", rate=SAMPLE_RATE, layout="mono")
            aus.bit_rate = 32_000
        if vs is not None:
            j = 0
            for s in range(max(1, math.ceil(duration))):
                while j + 1 < len(keyframes) and keyframes[j + 1][0] <= s:
                    j += 1
                img = keyframes[j][1]
                if img.shape[:2] != (vs.height, vs.width):
                    continue  # resolution change mid-stream: keep the first size
                for packet in vs.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                    out.mux(packet)
            for packet in vs.encode(None):
                out.mux(packet)
        if aus is not None:
            _mux_mono(out, aus, samples[: _aac_fit(samples.size, duration)])
    return out_buf.getvalue()


AAC_FRAME = 1024  # samples per AAC frame; the encoder also adds one frame of priming


def _aac_fit(count: int, duration: float) -> int:
    """How many samples AAC may carry so that the track, padded, lasts ≤ ``duration``.

    The encoder rounds up to whole frames and adds a frame of priming, so 120 s of
    samples came out at 120.064 s: over the model's 120 s limit for one video.
    """
    frames = int(duration * SAMPLE_RATE) // AAC_FRAME - 1
    return max(0, min(count, frames * AAC_FRAME))


def encode_jpeg(rgb: np.ndarray, quality: int = 85) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(rgb).save(out, "JPEG", quality=quality)
    return out.getvalue()


def clock(seconds: float) -> str:
    """'1:02:03' or '2:03'."""
    s = int(seconds)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"
