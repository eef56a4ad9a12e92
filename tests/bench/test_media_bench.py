"""Issue 6: media indexing throughput per kind (offline, local provider) and bounded memory.

Each figure is extract + embed with the real offline models (OCR, Whisper base, mUSE), one
thread each, on generated media.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from core.extract import extract
from core.extract.ocr import RapidOcr
from core.extract.readers import Readers
from core.extract.transcribe import WhisperTranscriber
from tests.bench.conftest import report
from tests.core.test_media_helpers import (
    espeak_available,
    read_samples,
    run_measured,
    speak,
    text_image,
    write_audio,
    write_video,
)
from tests.helpers import make_pdf

SPEECH = (
    "Yesterday we talked about moving the office to a larger building near the river. "
    "The rent is higher but the commute would be shorter for most of the team. "
    "Maria will collect quotes from three landlords before the end of the month. "
)


@pytest.fixture(scope="module")
def readers(tmp_path_factory: pytest.TempPathFactory) -> Readers:
    return Readers(
        ocr=RapidOcr(),
        transcriber=WhisperTranscriber(tmp_path_factory.mktemp("models")),
        media_bytes=False,  # the local provider reads text only
    )


@pytest.fixture(scope="module")
def embedder():  # type: ignore[no-untyped-def]
    from core.embed.base import Query
    from core.embed.local import LocalEmbedder

    e = LocalEmbedder()
    e.embed_query(Query(text="warm up"))  # load the model outside the timings
    return e


def _index(paths: list[Path], readers: Readers, embedder) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    n = 0
    for path in paths:
        pieces = extract(path, readers)
        embedder.embed_documents(pieces)
        n += len(pieces)
    return time.perf_counter() - started, n


def test_pdf_pages_per_second(tmp_path: Path, readers: Readers, embedder) -> None:
    pdf = make_pdf(tmp_path / "report.pdf", [f"Page {i}: budget review notes" for i in range(120)])
    seconds, _ = _index([pdf], readers, embedder)
    from PIL import Image

    pages = [
        Image.open(text_image(tmp_path / f"s{i}.png", [f"Scanned page {i}"] * 4, (1275, 600)))
        for i in range(4)
    ]
    scan = tmp_path / "scan.pdf"
    pages[0].save(scan, "PDF", resolution=150, save_all=True, append_images=pages[1:])
    ocr_seconds, _ = _index([scan], readers, embedder)
    report("pdf", text_pages_per_s=120 / seconds, scanned_pages_per_s_ocr=4 / ocr_seconds)


def test_images_per_second_with_ocr(tmp_path: Path, readers: Readers, embedder) -> None:
    paths = [
        text_image(tmp_path / f"note{i}.png", [f"Whiteboard {i}", "pricing tiers", "Q3 plan"])
        for i in range(8)
    ]
    seconds, _ = _index(paths, readers, embedder)
    report("images", images_per_s_with_ocr=len(paths) / seconds)


@pytest.mark.skipif(not espeak_available(), reason="needs espeak-ng")
def test_audio_seconds_per_second(tmp_path: Path, readers: Readers, embedder) -> None:
    speech = speak(tmp_path / "memo.wav", SPEECH * 2)
    length = read_samples(speech, 16_000).size / 16_000
    seconds, _ = _index([speech], readers, embedder)
    tone = write_audio(tmp_path / "music.mp3", 600)
    tone_seconds, _ = _index([tone], readers, embedder)
    gemini_seconds, _ = _index([tone], Readers(media_bytes=True), embedder)
    report(
        "audio",
        speech_audio_s_per_s=length / seconds,
        no_speech_audio_s_per_s=600 / tone_seconds,
        segment_and_mp3_audio_s_per_s=600 / gemini_seconds,
        transcriber=readers.transcriber.name if readers.transcriber else "",
    )


def test_video_seconds_per_second(tmp_path: Path, readers: Readers, embedder) -> None:
    clip = write_video(tmp_path / "walk.mp4", 300, fps=25, size=(640, 360), gop=50)
    seconds, _ = _index([clip], readers, embedder)
    gemini_seconds, _ = _index([clip], Readers(ocr=readers.ocr, media_bytes=True), embedder)
    report(
        "video",
        video_s_per_s=300 / seconds,
        with_mp4_segments_video_s_per_s=300 / gemini_seconds,
    )


def test_one_hour_audio_in_bounded_memory(tmp_path: Path) -> None:
    hour = write_audio(tmp_path / "podcast.mp3", 3600, chunk=60)
    half = write_audio(tmp_path / "half.mp3", 600, chunk=60)
    setup = (
        "import time\n"
        "from core.extract import extract\n"
        "from core.extract.readers import Readers\n"
        "from core.extract.transcribe import WhisperTranscriber\n"
        "r = Readers(transcriber=WhisperTranscriber(Path(sys.argv[2])), media_bytes=True)\n"
        "r.transcriber._load()\n"  # the model's own memory is not the decoder's
        "t = time.perf_counter()"
    )
    body = "f'{len(extract(Path(sys.argv[1]), r))},{time.perf_counter() - t}'"
    models = str(tmp_path / "models")
    short, short_kb = run_measured(setup, body, str(half), models)
    result, grown_kb = run_measured(setup, body, str(hour), models)
    n, seconds = result.split(",")
    grown_mb = grown_kb / 1024
    report(
        "one_hour_audio",
        pieces=int(n),
        seconds=float(seconds),
        grown_mb=grown_mb,
        ten_minutes_grown_mb=short_kb / 1024,
    )
    # Whisper's and the VAD's working memory (~200 MB) is the same for 10 minutes or an hour.
    # Whole-file decode would add 230 MB of float32 for the hour; what grows with length is
    # only the MP3 parts kept for Gemini (~0.7 MB per 3 minutes, ~14 MB per hour).
    assert grown_mb - short_kb / 1024 < 40
    assert grown_mb < 400


def test_photos_per_second_with_tags(tmp_path: Path, embedder) -> None:
    """The vision extra's classifier + detector, one thread, on 12 MP JPEG photos."""
    import numpy as np
    from PIL import Image

    from core.extract.tags import OfflineTagger, tagger_available

    if not tagger_available():
        pytest.skip("needs the vision extra")
    tagger = OfflineTagger()
    tagger.tags(Image.new("RGB", (64, 64)))  # load both models outside the timing
    rng = np.random.default_rng(3)
    paths = []
    for i in range(8):
        small = Image.fromarray(rng.integers(0, 256, (30, 40, 3), dtype=np.uint8))
        path = tmp_path / f"IMG_{i:04d}.jpg"
        small.resize((4000, 3000), Image.Resampling.BICUBIC).save(path, quality=85)
        paths.append(path)
    bare, _ = _index(paths, Readers(media_bytes=False), embedder)
    tagged, _ = _index(paths, Readers(tagger=tagger, media_bytes=False), embedder)
    report(
        "photo_tags",
        photos_per_s_with_tags=len(paths) / tagged,
        photos_per_s_without=len(paths) / bare,
        tags_s_per_photo=(tagged - bare) / len(paths),
    )
