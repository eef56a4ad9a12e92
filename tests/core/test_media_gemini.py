"""Media to Gemini: a folder of audio, video, PDFs and photos indexed through the real SDK
against the fake server; every request checked for MIME types and per-request limits."""

from __future__ import annotations

import base64
import io
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.app import Engine
from core.config import Settings
from core.embed.gemini import GeminiEmbedder
from core.extract.readers import Readers
from tests.core.test_media_helpers import duration_of, write_audio, write_video
from tests.fakes.gemini_server import FakeGemini
from tests.helpers import drain, make_pdf

MAX_IMAGES, MAX_PDF_PAGES, MAX_AUDIO_S, MAX_VIDEO_S = 6, 6, 180.0, 120.0


@pytest.fixture
def no_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """Index without the OCR/speech/tag models: this test is about what is sent, not read."""
    import core.extract.readers as readers

    monkeypatch.setattr(readers, "_default", Readers())


@pytest.fixture
def engine(
    tmp_path: Path, gemini_server: FakeGemini, no_models: None
) -> Iterator[tuple[Engine, Path]]:
    root = tmp_path / "memories"
    settings = Settings(folders=[str(root)], provider="gemini")
    embedder = GeminiEmbedder(base_url=gemini_server.base_url, sleep=lambda _s: None)
    yield Engine(settings, data=tmp_path / "data", embedder=embedder), root
    embedder.close()


def media_folder(root: Path) -> dict[str, Path]:
    from PIL import Image

    files = {
        "walk.mp3": write_audio(root / "memos" / "walk.mp3", 190),
        "lecture.wav": write_audio(root / "memos" / "lecture.wav", 185, chunk=30),
        # No sound track: PyAV's AAC encoder would take most of this test's time.
        "harbour.mp4": write_video(root / "clips" / "harbour.mp4", 130, fps=1, gop=2, audio=False),
        "report.pdf": make_pdf(
            root / "docs" / "report.pdf", [f"Page {i} of the annual report" for i in range(1, 15)]
        ),
    }
    for name, colour in (("beach.png", "gold"), ("dinner.jpg", "brown"), ("park.webp", "green")):
        path = root / "photos" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (64, 48), colour).save(path)
        files[name] = path
    return files


def sent(gemini_server: FakeGemini) -> dict[str, list[list[dict[str, Any]]]]:
    """The inline media parts of every Content sent, per file title (one list per piece)."""
    by_title: dict[str, list[list[dict[str, Any]]]] = defaultdict(list)
    for content in gemini_server.embed_contents():
        parts = content["parts"]
        assert "text" in parts[0]
        title = re.match(r"title: (.*?) \| text: ", parts[0]["text"])
        assert title, parts[0]["text"][:80]
        media = [p.get("inlineData") or p.get("inline_data") for p in parts[1:]]
        assert all(m is not None for m in media), "media went as uploads, not inline"
        by_title[title.group(1)].append(media)
    return by_title


def mime(part: dict[str, Any]) -> str:
    return str(part.get("mimeType") or part.get("mime_type"))


def data(part: dict[str, Any]) -> bytes:
    raw = str(part["data"])  # the SDK sends URL-safe base64 without padding
    return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))


def test_a_media_folder_goes_to_gemini_within_the_models_limits(
    engine: tuple[Engine, Path], gemini_server: FakeGemini
) -> None:
    import pypdfium2 as pdfium

    eng, root = engine
    media_folder(root)
    report = drain(eng.index())
    assert not report.errors, report.errors
    pieces = sent(gemini_server)
    assert set(pieces) == {
        "walk.mp3", "lecture.wav", "harbour.mp4", "report",  # a PDF is titled by its name
        "beach.png", "dinner.jpg", "park.webp",
    }  # fmt: skip

    for content in (c for contents in pieces.values() for c in contents):
        assert sum(mime(p).startswith("image/") for p in content) <= MAX_IMAGES

    # Audio: one MP3 per segment, none longer than 180 s, the whole recording covered.
    for name, length in (("walk.mp3", 190), ("lecture.wav", 185)):
        durations = []
        for content in pieces[name]:
            (part,) = content
            assert mime(part) in ("audio/mp3", "audio/wav")
            durations.append(duration_of(data(part)))
        assert len(durations) == 2
        assert all(d <= MAX_AUDIO_S + 0.1 for d in durations)
        assert sum(durations) >= length

    # Video: an MP4 of at most 120 s per segment, with its keyframe.
    video = pieces["harbour.mp4"]
    assert len(video) == 2
    for content in video:
        assert [mime(p) for p in content] == ["video/mp4", "image/jpeg"]
        assert duration_of(data(content[0])) <= MAX_VIDEO_S + 0.5

    # PDF: each window carries only its own pages, not the whole file.
    windows = pieces["report"]
    firsts = []
    for content in windows:
        (part,) = content
        assert mime(part) == "application/pdf"
        doc = pdfium.PdfDocument(data(part))
        try:
            assert len(doc) <= MAX_PDF_PAGES
            page = doc[0]
            textpage = page.get_textpage()
            firsts.append(textpage.get_text_bounded().strip())
            textpage.close()
            page.close()
        finally:
            doc.close()
    assert sorted(firsts) == sorted(f"Page {i} of the annual report" for i in (1, 7, 13))

    # Images: PNG and JPEG as they are, WEBP converted.
    assert [mime(c[0]) for c in pieces["beach.png"]] == ["image/png"]
    assert [mime(c[0]) for c in pieces["dinner.jpg"]] == ["image/jpeg"]
    (webp,) = pieces["park.webp"]
    assert mime(webp[0]) == "image/jpeg"
    from PIL import Image

    assert Image.open(io.BytesIO(data(webp[0]))).format == "JPEG"


def test_a_heic_photo_goes_to_gemini_as_jpeg(
    engine: tuple[Engine, Path], gemini_server: FakeGemini
) -> None:
    from PIL import Image

    from core.extract.image import heif_support

    assert heif_support()
    eng, root = engine
    photo = root / "IMG_4012.HEIC"
    root.mkdir(parents=True)
    Image.new("RGB", (120, 80), "navy").save(photo, format="HEIF")
    report = drain(eng.index())
    assert not report.errors, report.errors
    ((part,),) = sent(gemini_server)["IMG_4012.HEIC"]
    assert mime(part) == "image/jpeg"
    assert Image.open(io.BytesIO(data(part))).size == (120, 80)


def test_pdf_windows_carry_their_own_pages_and_text_only_providers_none(tmp_path: Path) -> None:
    import pypdfium2 as pdfium

    from core.extract import extract

    short = make_pdf(tmp_path / "short.pdf", ["one", "two"])
    (piece,) = extract(short, Readers())
    assert piece.media[0].path == short  # one window: the file itself
    long = make_pdf(tmp_path / "long.pdf", [f"Page {i}" for i in range(1, 9)])
    pieces = extract(long, Readers())
    counts = []
    for p in pieces:
        doc = pdfium.PdfDocument(p.media[0].read())
        counts.append(len(doc))
        doc.close()
    assert counts == [6, 2]
    assert all(not p.media for p in extract(long, Readers(media_bytes=False)))
