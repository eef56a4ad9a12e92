"""Thumbnails: the right picture for where the hit sits, cached by file state and locator."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest

from core.thumbs import thumbnail
from tests.core.test_media_helpers import write_audio, write_video
from tests.helpers import make_image, make_pdf


def _open(data: bytes | None):  # type: ignore[no-untyped-def]
    from PIL import Image

    assert data is not None
    return Image.open(io.BytesIO(data))


def test_image_thumbnail_is_small_and_upright(tmp_path: Path) -> None:
    from PIL import Image

    path = tmp_path / "turned.jpg"
    exif = Image.Exif()
    exif[274] = 6
    Image.new("RGB", (1200, 600), "red").save(path, exif=exif)
    img = _open(thumbnail(path, "image", {}, tmp_path / "cache"))
    assert img.format == "JPEG" and img.size == (128, 256)


def test_pdf_thumbnail_is_the_first_page_of_the_window(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "r.pdf", [f"page {i}" for i in range(1, 9)])
    img = _open(thumbnail(pdf, "pdf", {"pages": [7, 8]}, tmp_path / "cache"))
    assert max(img.size) == 256
    assert img.convert("L").getextrema()[0] < 128  # the page's text is drawn


def test_video_thumbnail_is_a_frame_from_the_middle_of_the_segment(tmp_path: Path) -> None:
    clip = write_video(tmp_path / "c.mp4", 12, fps=5, gop=5, audio=False)
    cache = tmp_path / "cache"
    first = _open(thumbnail(clip, "video", {"seconds": [0, 4]}, cache)).getpixel((5, 5))
    later = _open(thumbnail(clip, "video", {"seconds": [8, 12]}, cache)).getpixel((5, 5))
    # write_video paints second s in red (s * 40) % 256: second 2 vs second 10.
    assert abs(first[0] - 80) < 20 and abs(later[0] - 144) < 20


def test_audio_thumbnail_is_a_waveform_png(tmp_path: Path) -> None:
    wav = write_audio(tmp_path / "memo.wav", 30)
    img = _open(thumbnail(wav, "audio", {"seconds": [10, 20]}, tmp_path / "cache"))
    assert img.format == "PNG" and img.size == (256, 128)
    alpha = np.asarray(img.getchannel("A"))
    assert alpha[:, 128].any() and not alpha[0, :].all()  # drawn, but not a filled box


def test_thumbnails_are_cached_by_mtime_and_locator(tmp_path: Path) -> None:
    path = make_image(tmp_path / "a.png", size=(300, 200))
    cache = tmp_path / "cache"
    first = thumbnail(path, "image", {}, cache)
    assert len([p for p in cache.rglob("*") if p.is_file()]) == 1
    assert thumbnail(path, "image", {}, cache) == first
    make_image(path, size=(100, 300))
    os.utime(path, ns=(1, 1))
    assert _open(thumbnail(path, "image", {}, cache)).size == (85, 256)
    assert len([p for p in cache.rglob("*") if p.is_file()]) == 2


@pytest.mark.parametrize("kind", ["image", "pdf", "video", "audio"])
def test_unreadable_files_give_no_thumbnail(tmp_path: Path, kind: str) -> None:
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"\x00garbage" * 50)
    assert thumbnail(bad, kind, {}, tmp_path / "cache") is None
    assert thumbnail(tmp_path / "missing.png", kind, {}, tmp_path / "cache") is None
