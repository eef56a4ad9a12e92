"""Thumbnails for hits, as image bytes the GUI shows: Qt-free, cached on disk.

The picture depends on where the hit sits: the frame in the middle of a video segment, the
waveform of an audio segment, the first page of a PDF window, the (upright) image itself.
Cached by path + mtime + size + locator, so a changed file or another segment gets its own.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
from pathlib import Path
from typing import Any

from core.model import Locator

SIZE = 256
CACHE_VERSION = "1"
WAVE_RATE = 4_000  # enough to draw an envelope; a 180 s segment is 720k samples
WAVE_COLOUR = (64, 120, 200, 255)


def thumbnail(
    path: Path, kind: str, locator: Locator, cache_dir: Path, size: int = SIZE
) -> bytes | None:
    """JPEG or PNG bytes no larger than ``size`` on their long side, or None if unreadable.

    Best effort by design: a thumbnail that cannot be made is an icon in the GUI, never an
    error, so any failure reading the file gives None.
    """
    from core.scan import fs_path

    path = Path(fs_path(os.fspath(path)))  # an index key: a non-UTF-8 name opens the real file
    try:
        st = path.stat()
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):  # a pipe or a device is never opened
        return None
    key = hashlib.sha256(
        json.dumps(
            [CACHE_VERSION, os.fspath(path), st.st_mtime_ns, st.st_size, kind, locator, size],
            sort_keys=True,
            default=str,
        ).encode()
    ).hexdigest()
    cached = cache_dir / key[:2] / key
    try:
        return cached.read_bytes()
    except OSError:
        pass
    make = _MAKERS.get(kind)
    if make is None:
        return None
    try:
        data = make(path, locator, size)
    except Exception:  # a broken file: no picture
        return None
    if data is None:
        return None
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_name(f".{key}.{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, cached)
    return data


def _jpeg(img: Any, size: int) -> bytes:
    from PIL import Image

    if img.mode in ("RGBA", "LA", "P"):
        img = img.convert("RGBA")
        backdrop = Image.new("RGB", img.size, "white")
        backdrop.paste(img, mask=img.getchannel("A"))
        img = backdrop
    img = img.convert("RGB")
    img.thumbnail((size, size))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


def _image(path: Path, _locator: Locator, size: int) -> bytes:
    from PIL import Image, ImageOps

    from core.extract.image import fitted, heif_support

    Image.MAX_IMAGE_PIXELS = 400_000_000
    heif_support()  # HEIC/HEIF photos open once pillow-heif is registered
    with Image.open(path) as img:
        img.draft("RGB", fitted(img.size, size))  # JPEG: decode at up to 1/8 scale
        img.load()
        return _jpeg(ImageOps.exif_transpose(img), size)


def _pdf(path: Path, locator: Locator, size: int) -> bytes:
    import pypdfium2 as pdfium

    from core.pdfium import PDFIUM_LOCK

    first = int((locator.get("pages") or [1])[0])
    with PDFIUM_LOCK:  # the indexer and the app's workers render pages at the same time
        doc = pdfium.PdfDocument(str(path))
        try:
            page = doc[max(0, min(first, len(doc)) - 1)]
            width, height = page.get_size()
            bitmap = page.render(scale=size / max(width, height, 1))
            img = bitmap.to_pil().copy()  # own the pixels: the bitmap's buffer is freed below
            bitmap.close()
            page.close()
        finally:
            doc.close()
    return _jpeg(img, size)


def _span(locator: Locator) -> tuple[float, float] | None:
    seconds = locator.get("seconds")
    if not seconds:
        return None
    return float(seconds[0]), float(seconds[1])


def _video(path: Path, locator: Locator, size: int) -> bytes | None:
    import av

    span = _span(locator)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if span is None:  # the whole file: a frame a little way in, past black lead-ins
            length = float(container.duration or 0) / 1_000_000
            at = min(10.0, length * 0.1)
        else:
            at = (span[0] + span[1]) / 2
        if at > 0 and stream.time_base is not None:
            container.seek(int(at / stream.time_base), stream=stream, backward=True)
        last = None
        for frame in container.decode(stream):
            last = frame
            # Seeking lands on the keyframe before ``at``; decode on until we reach it.
            if frame.time is None or frame.time >= at:
                break
        if last is None:
            return None
        return _jpeg(last.to_image(), size)


def _audio(path: Path, locator: Locator, size: int) -> bytes:
    import av
    import numpy as np
    from PIL import Image, ImageDraw

    span = _span(locator) or (0.0, 180.0)
    start, end = span
    chunks: list[Any] = []
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        if start > 0 and stream.time_base is not None:
            container.seek(int(start / stream.time_base), stream=stream, backward=True)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=WAVE_RATE)
        for frame in container.decode(stream):
            t = frame.time or 0.0
            if t >= end:
                break
            for out in resampler.resample(frame):
                data = out.to_ndarray().reshape(-1)
                skip = int(max(0.0, start - t) * WAVE_RATE)  # seek lands before ``start``
                chunks.append(data[skip:])
    samples = np.concatenate(chunks) if chunks else np.zeros(1, dtype=np.float32)
    width, height = size, size // 2
    columns = np.array_split(samples, width) if samples.size >= width else [samples]
    peak = float(np.abs(samples).max()) or 1.0
    img = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    middle = height / 2
    for x, col in enumerate(columns):
        if not col.size:
            continue
        top = middle - float(col.max()) / peak * (middle - 1)
        bottom = middle - float(col.min()) / peak * (middle - 1)
        draw.line([(x, top), (x, max(bottom, top + 1))], fill=WAVE_COLOUR)
    out_buf = io.BytesIO()
    img.save(out_buf, "PNG")
    return out_buf.getvalue()


_MAKERS = {"image": _image, "pdf": _pdf, "video": _video, "audio": _audio}
