"""Thumbnails: core.thumbs pictures as pixmaps, per segment, off the GUI thread, cached."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from PIL import Image

from core.pdfium import PDFIUM_LOCK
from desktop.tasks import InlineExecutor, PoolExecutor
from desktop.thumbnails import Thumbnailer, render_note, render_thumbnail, thumb_key
from tests.core.test_media_helpers import write_audio, write_video
from tests.helpers import make_pdf, write


def test_photo_thumbnail_respects_exif_orientation(tmp_path):
    path = tmp_path / "portrait.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display: stored landscape, shown portrait
    Image.new("RGB", (600, 300), (40, 120, 200)).save(path, exif=exif)
    image = render_thumbnail(str(path), "image", {}, tmp_path / "cache")
    assert image is not None
    assert (image.width(), image.height()) == (128, 256)  # portrait, longer side 256


def test_pdf_and_note_thumbnails(tmp_path, qapp):  # painting a note needs the app
    pdf = make_pdf(tmp_path / "a.pdf", ["first page"])
    page = render_thumbnail(str(pdf), "pdf", {"pages": [1, 1]}, tmp_path / "cache")
    assert page is not None and page.height() > page.width()  # a letter page, upright
    note = write(tmp_path / "n.md", "# Title\n\nsome words\n")
    assert render_thumbnail(str(note), "note", {}, tmp_path / "cache") is None  # GUI thread
    assert render_note(str(note)).height() == 256


def test_video_and_audio_thumbnails_show_the_segment(tmp_path, qtbot):
    clip = write_video(tmp_path / "c.mp4", 12, fps=5, gop=5, audio=False)
    memo = write_audio(tmp_path / "memo.wav", 30)
    thumbs = Thumbnailer(tmp_path / "cache", InlineExecutor())
    early, late = {"seconds": [0, 4]}, {"seconds": [8, 12]}
    for locator in (early, late):
        with qtbot.waitSignal(thumbs.ready):
            assert thumbs.pixmap(str(clip), "video", locator) is None  # queued: icon for now
    # write_video paints second s with red (s * 40) % 256: second 2 vs second 10
    red = [
        thumbs.pixmap(str(clip), "video", loc).toImage().pixelColor(5, 5).red()
        for loc in (early, late)
    ]
    assert abs(red[0] - 80) < 20 and abs(red[1] - 144) < 20
    with qtbot.waitSignal(thumbs.ready):
        thumbs.pixmap(str(memo), "audio", {"seconds": [10, 20]})
    wave = thumbs.pixmap(str(memo), "audio", {"seconds": [10, 20]})
    assert (wave.width(), wave.height()) == (256, 128)  # a waveform strip, not a square


def test_keys_follow_the_segment_but_not_for_photos_and_notes():
    assert thumb_key("/a.mp4", "video", {"seconds": [0, 4]}) != thumb_key(
        "/a.mp4", "video", {"seconds": [8, 12]}
    )
    assert thumb_key("/a.jpg", "image", {"x": 1}) == thumb_key("/a.jpg", "image", None)


def test_disk_cache_is_keyed_by_mtime(tmp_path, qtbot):
    photo = tmp_path / "p.png"
    Image.new("RGB", (300, 200), (200, 40, 40)).save(photo)
    cache_dir = tmp_path / "cache"
    thumbs = Thumbnailer(cache_dir, InlineExecutor())
    with qtbot.waitSignal(thumbs.ready):
        assert thumbs.pixmap(str(photo), "image") is None  # queued, not waited for
    assert thumbs.pixmap(str(photo), "image").width() == 256
    assert len([f for f in cache_dir.rglob("*") if f.is_file()]) == 1
    # an edited file is a new key: the old picture is never shown for it
    Image.new("RGB", (100, 300), (0, 0, 0)).save(photo)
    os.utime(photo, (1_700_000_000, 1_700_000_000))
    again = Thumbnailer(cache_dir, InlineExecutor())
    with qtbot.waitSignal(again.ready):
        again.pixmap(str(photo), "image")
    assert again.pixmap(str(photo), "image").height() == 256  # portrait now
    assert len([f for f in cache_dir.rglob("*") if f.is_file()]) == 2


def test_pdf_thumbnails_wait_for_the_shared_pdfium_lock(tmp_path, qtbot):
    """The indexer holds core.pdfium's lock while it reads a page: a render waits for it."""
    pdf = make_pdf(tmp_path / "a.pdf", ["first page"])
    thumbs = Thumbnailer(tmp_path / "cache", PoolExecutor(1))
    held = threading.Event()
    release = threading.Event()

    def indexer() -> None:
        with PDFIUM_LOCK:
            held.set()
            release.wait(10)

    other = threading.Thread(target=indexer)
    other.start()
    assert held.wait(5)
    thumbs.pixmap(str(pdf), "pdf", {"pages": [1, 1]})
    # the worker is blocked on the lock, so nothing arrives while the indexer holds it
    assert not thumbs._tasks.wait(200)
    assert thumbs.pixmap(str(pdf), "pdf", {"pages": [1, 1]}) is None
    release.set()
    other.join()
    qtbot.waitUntil(lambda: thumbs.pixmap(str(pdf), "pdf", {"pages": [1, 1]}) is not None)
    assert thumbs.shutdown()
    assert Path(pdf).exists()
