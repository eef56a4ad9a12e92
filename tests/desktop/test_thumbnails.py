"""Thumbnails: EXIF orientation, PDF first pages, a disk cache keyed by path + mtime."""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image

from desktop.thumbnails import ThumbnailCache, Thumbnailer, render_note, render_thumbnail
from desktop.worker import InlineExecutor
from tests.helpers import make_pdf, write


def test_photo_thumbnail_respects_exif_orientation(tmp_path):
    path = tmp_path / "portrait.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display: stored landscape, shown portrait
    Image.new("RGB", (600, 300), (40, 120, 200)).save(path, exif=exif)
    image = render_thumbnail(str(path), "image")
    assert image is not None
    assert (image.width(), image.height()) == (128, 256)  # portrait, longer side 256


def test_pdf_and_note_thumbnails(tmp_path):
    pdf = make_pdf(tmp_path / "a.pdf", ["first page"])
    page = render_thumbnail(str(pdf), "pdf")
    assert page is not None and page.height() > page.width()  # a letter page, upright
    note = write(tmp_path / "n.md", "# Title\n\nsome words\n")
    assert render_thumbnail(str(note), "note") is None  # typeset on the GUI thread instead
    assert render_note(str(note)).height() == 256
    assert render_thumbnail(str(tmp_path / "clip.mp4"), "video") is None  # type icon


def test_cache_is_keyed_by_mtime(tmp_path, qtbot):
    photo = tmp_path / "p.png"
    Image.new("RGB", (300, 200), (200, 40, 40)).save(photo)
    cache_dir = tmp_path / "cache"
    thumbs = Thumbnailer(ThumbnailCache(cache_dir), InlineExecutor())
    with qtbot.waitSignal(thumbs.ready):
        assert thumbs.pixmap(str(photo), "image") is None  # queued, not waited for
    assert thumbs.pixmap(str(photo), "image").width() == 256
    assert len(list(cache_dir.glob("*.png"))) == 1
    # a fresh thumbnailer finds it on disk
    again = Thumbnailer(ThumbnailCache(cache_dir), InlineExecutor())
    assert again.cache.get(str(photo)) is not None
    # an edited file is a new key: the old thumbnail is never shown for it
    Image.new("RGB", (100, 300), (0, 0, 0)).save(photo)
    os.utime(photo, (1_700_000_000, 1_700_000_000))
    assert again.cache.get(str(photo)) is None
    assert Path(photo).exists()
