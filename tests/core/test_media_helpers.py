"""Small generated media for the media tests and benchmarks (no test functions here)."""

from __future__ import annotations

import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np

RATE = 16_000


def tone(seconds: float, rate: int = RATE, freq: float = 440.0) -> np.ndarray:
    """A quiet sine with a slow beat: audible content, no speech."""
    t = np.arange(int(seconds * rate), dtype=np.float32) / rate
    return (0.2 * np.sin(2 * np.pi * freq * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t))).astype(
        np.float32
    )


def write_audio(
    path: Path, seconds: float, *, codec: str = "", rate: int = RATE, chunk: float = 10.0
) -> Path:
    """Write ``seconds`` of tone with PyAV, generated chunk by chunk (any length, little RAM)."""
    import av

    codec = (
        codec
        or {
            ".wav": "pcm_s16le",
            ".mp3": "libmp3lame",
            ".flac": "flac",
            ".m4a": "aac",
            ".ogg": "libopus",
        }[path.suffix.lower()]
    )
    if codec == "libopus":
        rate = 48_000
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        done = 0.0
        pts = 0
        while done < seconds:
            n = min(chunk, seconds - done)
            samples = tone(n, rate)
            frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
            frame.sample_rate = rate
            frame.pts = pts
            frame.time_base = Fraction(1, rate)
            pts += samples.size
            for packet in stream.encode(frame):
                out.mux(packet)
            done += n
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def write_video(
    path: Path,
    seconds: float,
    *,
    fps: int = 10,
    size: tuple[int, int] = (160, 120),
    audio: bool = True,
    gop: int = 10,
    sound: np.ndarray | None = None,
) -> Path:
    """A clip whose colour changes every second, with a sound track (H.264 + AAC).

    ``sound``: 16 kHz mono samples for the track (a tone when not given).
    """
    import av

    w, h = size
    path.parent.mkdir(parents=True, exist_ok=True)
    codec = "libvpx-vp9" if path.suffix.lower() == ".webm" else "libx264"
    with av.open(str(path), "w") as out:
        vs = out.add_stream(codec, rate=fps)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        vs.codec_context.gop_size = gop
        if codec == "libx264":
            vs.options = {"preset": "ultrafast"}
        aus = None
        if audio:
            opus = codec == "libvpx-vp9"  # WebM takes Opus, which runs at 48 kHz only
            arate = 48_000 if opus else RATE
            aus = out.add_stream("libopus" if opus else "aac", rate=arate)
        if sound is None:
            sound = tone(seconds, RATE)
        for second in range(int(np.ceil(seconds))):
            # Interleave a second of picture with a second of sound, as real files are.
            for i in range(second * fps, min(int(seconds * fps), (second + 1) * fps)):
                img = np.zeros((h, w, 3), dtype=np.uint8)
                img[:, :] = ((second * 40) % 256, (second * 90) % 256, 128)
                frame = av.VideoFrame.from_ndarray(img, format="rgb24")
                frame.pts = i
                frame.time_base = Fraction(1, fps)
                for packet in vs.encode(frame):
                    out.mux(packet)
            if aus is not None:
                part = sound[second * RATE : (second + 1) * RATE]
                if opus:
                    part = np.repeat(part, 3)
                if part.size:
                    frame = av.AudioFrame.from_ndarray(
                        part.reshape(1, -1), format="flt", layout="mono"
                    )
                    frame.sample_rate = arate
                    frame.pts = second * arate
                    frame.time_base = Fraction(1, arate)
                    for packet in aus.encode(frame):
                        out.mux(packet)
        for packet in vs.encode(None):
            out.mux(packet)
        if aus is not None:
            for packet in aus.encode(None):
                out.mux(packet)
    return path


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


def speak(path: Path, sentence: str, voice: str = "en") -> Path:
    """espeak-ng (Debian package) reads the sentence into a WAV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", "150", "-w", str(path), sentence],
        check=True,
        capture_output=True,
    )
    return path


def text_image(path: Path, lines: list[str], size: tuple[int, int] = (900, 300)) -> Path:
    """White image with black text lines drawn by Pillow (a scalable font, big enough to read)."""
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=40)
    for i, line in enumerate(lines):
        draw.text((30, 30 + i * 60), line, fill="black", font=font)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
    return path


def read_samples(path: Path, rate: int) -> np.ndarray:
    """All of a (short) audio file as float32 mono at ``rate``."""
    import av

    out = []
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        for frame in container.decode(audio=0):
            out += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
        out += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(out)


def duration_of(data: bytes) -> float:
    """Seconds of media in an in-memory file (an MP3 or MP4 part)."""
    import io

    import av

    with av.open(io.BytesIO(data)) as container:
        return float(container.duration or 0) / 1_000_000


_MEASURED = """
import sys
from pathlib import Path

def vm(key):
    # /proc's high-water mark belongs to this process image; getrusage's ru_maxrss would
    # carry the parent's (pytest's) peak across fork + exec.
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1])
    return 0

{setup}
base = vm("VmRSS:")
result = {body}
print(result, vm("VmHWM:") - base)
"""


def run_measured(setup: str, body: str, *args: str) -> tuple[str, int]:
    """Run ``body`` (an expression) in a fresh Python; its result and the peak RSS growth in kB.

    ``setup`` (imports, model objects) runs before the baseline is taken.
    """
    import subprocess
    import sys

    code = _MEASURED.format(setup=setup, body=body)
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    )
    result, grown = out.stdout.strip().rsplit(" ", 1)
    return result, int(grown)


def test_a_full_video_segment_stays_within_the_model_s_120_seconds() -> None:
    """AAC rounds up to whole frames and adds priming: 120 s of sound came out 120.064 s."""
    import io

    import av

    from core.extract.media import SAMPLE_RATE, encode_mp4

    keyframes = [(float(s), np.zeros((32, 32, 3), np.uint8)) for s in range(0, 120, 10)]
    sound = np.zeros(120 * SAMPLE_RATE, np.float32)
    with av.open(io.BytesIO(encode_mp4(keyframes, sound, 120.0))) as clip:
        assert clip.duration is not None and clip.duration / 1e6 <= 120.0
        assert all(float(s.duration * s.time_base) <= 120.0 for s in clip.streams)
