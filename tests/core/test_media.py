"""Media as memories: audio/video segments, speech, OCR and images, with the real models."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from core.embed.base import Query
from core.extract import ExtractError, extract, kind_of
from core.extract.ocr import RapidOcr
from core.extract.readers import Readers, Window
from core.extract.transcribe import WhisperTranscriber, model_dir
from core.model import Piece
from tests.core.test_media_helpers import (
    duration_of,
    espeak_available,
    read_samples,
    run_measured,
    speak,
    text_image,
    write_audio,
    write_video,
)
from tests.helpers import make_pdf

SENTENCE = (
    "The quarterly budget meeting moved to Thursday afternoon because the finance team is "
    "travelling."
)
needs_espeak = pytest.mark.skipif(not espeak_available(), reason="needs espeak-ng (Debian)")

NO_MODELS = Readers(media_bytes=False)
# Windows a tenth of the providers' limits: the cutting is the same, the clips are seconds
# long. The production limits (180 s, 120 s) keep their own tests below.
SHORT_AUDIO = Window(seconds=18.0, overlap=5.0)
SHORT_VIDEO = Window(seconds=12.0, overlap=2.0)


@pytest.fixture(scope="module")
def ocr() -> RapidOcr:
    return RapidOcr()


@pytest.fixture(scope="module")
def speech_readers(tmp_path_factory: pytest.TempPathFactory) -> Readers:
    cache = tmp_path_factory.mktemp("models")
    return Readers(transcriber=WhisperTranscriber(cache_dir=cache), media_bytes=False)


def rank(embedder, pieces: list[Piece], query: str) -> list[Piece]:  # type: ignore[no-untyped-def]
    vectors = embedder.embed_documents(pieces)
    scores = vectors @ embedder.embed_query(Query(text=query))
    return [pieces[i] for i in np.argsort(-scores)]


DISTRACTORS = [
    Piece(kind="note", title="garden", text="Plant tomatoes and basil by the south wall in May."),
    Piece(kind="note", title="cat", text="The cat needs her vaccination at the vet next week."),
    Piece(kind="note", title="bike", text="Replace the chain and brake pads on the road bike."),
]


# --- kinds and segmentation ---------------------------------------------------------------


def test_kinds_of_audio_and_video() -> None:
    for name in ("a.mp3", "a.WAV", "a.flac", "a.m4a", "a.ogg"):
        assert kind_of(Path(name)) == "audio"
    for name in ("a.mp4", "a.MOV", "a.mkv", "a.webm"):
        assert kind_of(Path(name)) == "video"


def test_long_audio_in_overlapping_segments_of_at_most_180s(tmp_path: Path) -> None:
    wav = write_audio(tmp_path / "memos" / "walk-with-anna.wav", 400)
    pieces = extract(wav, NO_MODELS)
    assert [p.locator["seconds"] for p in pieces] == [[0, 180], [175, 355], [350, 400]]
    assert all(p.kind == "audio" and p.mime == "audio/wav" for p in pieces)
    assert pieces[0].title == "walk-with-anna.wav"
    # No speech model: still findable by name, folder and time.
    assert pieces[1].text == "Audio recording walk with anna, in folder memos, 2:55–5:55."


@pytest.mark.parametrize("suffix", [".mp3", ".flac", ".m4a", ".ogg"])
def test_audio_formats_decode_and_carry_an_mp3_segment(tmp_path: Path, suffix: str) -> None:
    path = write_audio(tmp_path / f"memo{suffix}", 12)
    (piece,) = extract(path, Readers())
    start, end = piece.locator["seconds"]
    assert start == 0 and end == pytest.approx(12, abs=0.1)
    (part,) = piece.media
    assert part.mime == "audio/mp3"
    assert duration_of(part.read()) == pytest.approx(12, abs=0.2)


def test_each_mp3_part_holds_only_its_segment(tmp_path: Path) -> None:
    pieces = extract(write_audio(tmp_path / "long.mp3", 30), Readers(audio_window=SHORT_AUDIO))
    assert [p.locator["seconds"] for p in pieces] == [[0, 18], [13, 30]]
    lengths = [duration_of(p.media[0].read()) for p in pieces]
    assert lengths[0] == pytest.approx(18, abs=0.2) and lengths[1] == pytest.approx(17, abs=0.2)


def test_video_in_overlapping_segments_with_mp4_and_keyframe(tmp_path: Path) -> None:
    clip = write_video(tmp_path / "clips" / "harbour.mp4", 25, fps=2, gop=4)
    pieces = extract(clip, Readers(video_window=SHORT_VIDEO))
    ends = [[0, 12], [10, 22], [20, pytest.approx(25, abs=0.1)]]
    assert [p.locator["seconds"] for p in pieces] == ends
    assert all(p.kind == "video" and p.mime == "video/mp4" for p in pieces)
    for piece in pieces:
        mp4, key = piece.media
        assert mp4.mime == "video/mp4" and key.mime == "image/jpeg"
        start, end = piece.locator["seconds"]
        assert duration_of(mp4.read()) <= 12.5
        assert duration_of(mp4.read()) == pytest.approx(end - start, abs=1.5)
        assert len(mp4.read()) < 2_000_000  # small enough to go inline
    from PIL import Image

    # The keyframe comes from the middle of its own segment: the clip's colour changes per
    # second, so the three segments' keyframes differ.
    colours = {Image.open(io.BytesIO(p.media[1].read())).getpixel((5, 5)) for p in pieces}
    assert len(colours) == 3


def test_video_segments_keep_to_the_120s_a_gemini_request_watches(tmp_path: Path) -> None:
    """The production window: an MP4 of 120 s plus the AAC encoder's priming is refused."""
    pieces = extract(write_video(tmp_path / "clip.mp4", 125, fps=1, gop=2), Readers())
    assert [p.locator["seconds"] for p in pieces] == [[0, 120], [118, pytest.approx(125, abs=0.1)]]
    for piece in pieces:
        start, end = piece.locator["seconds"]
        mp4 = piece.media[0].read()
        assert duration_of(mp4) <= 120.0
        assert duration_of(mp4) == pytest.approx(end - start, abs=1.5)
        assert len(mp4) < 2_000_000  # small enough to go inline


@pytest.mark.parametrize("suffix", [".mkv", ".webm", ".mov"])
def test_other_video_containers(tmp_path: Path, suffix: str) -> None:
    readers = Readers(media_bytes=False, video_window=SHORT_VIDEO)
    pieces = extract(write_video(tmp_path / f"clip{suffix}", 12.5, fps=1, gop=2), readers)
    assert [p.locator["seconds"] for p in pieces] == [[0, 12], [10, pytest.approx(12.5, abs=0.1)]]
    assert pieces[0].text.startswith("Video clip")


def test_silent_video_without_sound_track(tmp_path: Path) -> None:
    (piece,) = extract(write_video(tmp_path / "timelapse.mp4", 8, audio=False), Readers())
    assert piece.locator["seconds"] == [0, pytest.approx(8, abs=0.2)]
    assert piece.media[0].mime == "video/mp4"


# --- bad media: a clear error per file ------------------------------------------------------


def test_garbage_named_mp3_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "memo.mp3"
    bad.write_bytes(b"this is not audio at all " * 100)
    with pytest.raises(ExtractError, match="audio"):
        extract(bad, NO_MODELS)


def test_truncated_mp4_is_a_clear_error(tmp_path: Path) -> None:
    good = write_video(tmp_path / "ok.mp4", 3)
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(good.read_bytes()[:600])
    with pytest.raises(ExtractError, match="video"):
        extract(bad, NO_MODELS)


def test_audio_file_without_audio_stream_is_a_clear_error(tmp_path: Path) -> None:
    silent = write_video(tmp_path / "v.mp4", 2, audio=False)
    renamed = tmp_path / "voice.m4a"
    renamed.write_bytes(silent.read_bytes())
    with pytest.raises(ExtractError, match="no audio stream"):
        extract(renamed, NO_MODELS)


def test_video_file_with_sound_only_is_a_clear_error(tmp_path: Path) -> None:
    sound = write_audio(tmp_path / "s.m4a", 2)
    renamed = tmp_path / "clip.mp4"
    renamed.write_bytes(sound.read_bytes())
    with pytest.raises(ExtractError, match="no video stream"):
        extract(renamed, NO_MODELS)


def test_long_audio_is_decoded_in_bounded_memory(tmp_path: Path) -> None:
    """20 minutes of WAV (38 MB as float32) never sit in memory at once."""
    wav = write_audio(tmp_path / "lecture.wav", 1200, chunk=30)
    n, grown_kb = run_measured(
        "from core.extract import extract; from core.extract.readers import Readers\n"
        "import av, numpy",
        "len(extract(Path(sys.argv[1]), Readers(media_bytes=False)))",
        str(wav),
    )
    assert n == "7"
    assert grown_kb < 60_000, f"decoding grew the process by {grown_kb // 1024} MB"


# --- speech ---------------------------------------------------------------------------------


def test_packaged_multilingual_base_model_is_joined_once(tmp_path: Path) -> None:
    path, name = model_dir(tmp_path)
    assert name == "base"
    first = (path / "model.bin").stat()
    again, _ = model_dir(tmp_path)
    assert again == path and (again / "model.bin").stat().st_mtime_ns == first.st_mtime_ns
    assert first.st_size > 140_000_000
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no leftovers


@needs_espeak
def test_spoken_sentence_is_transcribed_and_found_in_other_words(
    tmp_path: Path, speech_readers: Readers, local_embedder
) -> None:
    memo = speak(tmp_path / "voice-memo-17.wav", SENTENCE)
    (piece,) = extract(memo, speech_readers)
    assert piece.text.startswith("[0:00] ")
    assert "budget meeting" in piece.text.lower() and "thursday" in piece.text.lower()
    # Not one word in common with what was said:
    ranked = rank(
        local_embedder, [*DISTRACTORS, piece], "the money planning session was rescheduled"
    )
    assert ranked[0] is piece


@needs_espeak
def test_video_sound_track_is_transcribed(tmp_path: Path, speech_readers: Readers) -> None:
    voice = read_samples(speak(tmp_path / "v.wav", "Welcome to the harbour tour."), 16_000)
    clip = write_video(tmp_path / "tour.mp4", voice.size / 16_000 + 0.5, sound=voice)
    (piece,) = extract(clip, speech_readers)
    assert "harbour" in piece.text.lower() or "harbor" in piece.text.lower()


# --- OCR ------------------------------------------------------------------------------------


def test_text_in_an_image_is_found_by_keyword_and_by_meaning(
    tmp_path: Path, ocr: RapidOcr, local_embedder
) -> None:
    img = text_image(
        tmp_path / "IMG_0042.png",
        ["Invoice 4471 from Alpine Bakery", "Sourdough bread and croissants", "Payment by 12 May"],
    )
    (piece,) = extract(img, Readers(ocr=ocr))
    assert "Invoice 4471 from Alpine Bakery" in piece.text
    assert "Payment by 12 May" in piece.text
    ranked = rank(local_embedder, [*DISTRACTORS, piece], "bill from the bread shop")
    assert ranked[0] is piece


def test_scanned_pdf_pages_get_ocr_text(tmp_path: Path, ocr: RapidOcr) -> None:
    from PIL import Image

    pages = [
        Image.open(text_image(tmp_path / f"p{i}.png", [line], size=(1275, 400)))
        for i, line in enumerate(["Lease agreement for flat 3B", "Signed by both tenants"])
    ]
    scan = tmp_path / "scan.pdf"
    pages[0].save(scan, "PDF", resolution=150, save_all=True, append_images=pages[1:])
    (piece,) = extract(scan, Readers(ocr=ocr))
    assert piece.locator == {"pages": [1, 2]}
    assert "Lease agreement for flat 3B" in piece.text
    assert "Signed by both tenants" in piece.text


def test_pdf_pages_with_a_text_layer_are_not_ocred(tmp_path: Path, ocr: RapidOcr) -> None:
    class Counting:
        calls = 0

        def read(self, image: object) -> str:
            Counting.calls += 1
            return ocr.read(image)

    pdf = make_pdf(tmp_path / "r.pdf", ["A page that has a real text layer on it"] * 3)
    (piece,) = extract(pdf, Readers(ocr=Counting()))
    assert Counting.calls == 0 and "real text layer" in piece.text


# --- images ---------------------------------------------------------------------------------


def _jpeg_with_orientation(path: Path, orientation: int) -> Path:
    from PIL import Image

    img = Image.new("RGB", (200, 100), "red")
    img.paste((0, 0, 255), (0, 0, 100, 100))  # left half blue
    exif = Image.Exif()
    exif[274] = orientation
    img.save(path, exif=exif)
    return path


def test_exif_orientation_is_respected(tmp_path: Path) -> None:
    from PIL import Image

    (piece,) = extract(_jpeg_with_orientation(tmp_path / "turned.jpg", 6), Readers())
    assert piece.locator["pixels"] == [100, 200]
    (part,) = piece.media
    assert part.mime == "image/jpeg" and part.data is not None  # re-encoded upright
    upright = Image.open(io.BytesIO(part.read()))
    assert upright.size == (100, 200)
    assert upright.getpixel((50, 20))[2] > 200  # rotated 90° clockwise: blue on top


def test_upright_png_and_jpeg_go_as_they_are(tmp_path: Path) -> None:
    (piece,) = extract(_jpeg_with_orientation(tmp_path / "flat.jpg", 1), Readers())
    assert piece.media[0].path == tmp_path / "flat.jpg"


@pytest.mark.parametrize("suffix", [".webp", ".gif", ".tiff", ".bmp"])
def test_formats_gemini_cannot_read_are_converted_to_jpeg(tmp_path: Path, suffix: str) -> None:
    from PIL import Image

    path = tmp_path / f"pic{suffix}"
    Image.new("RGB", (40, 30), "green").save(path)
    (piece,) = extract(path, Readers())
    assert piece.media[0].mime == "image/jpeg"
    assert Image.open(io.BytesIO(piece.media[0].read())).size == (40, 30)
    (offline,) = extract(path, NO_MODELS)  # a text-only provider needs no copy
    assert offline.media[0].path == path


def test_a_100_megapixel_photo_is_read_in_bounded_memory(tmp_path: Path) -> None:
    from PIL import Image

    big = tmp_path / "panorama.jpg"
    Image.new("RGB", (12_500, 8_000), (90, 140, 200)).save(big, quality=70)
    result, grown_kb = run_measured(
        "from core.extract import extract; from core.extract.readers import Readers\n"
        "import PIL.Image",
        "(lambda p: f\"{'×'.join(map(str, p.locator['pixels']))} {len(p.media[0].read())}\")"
        "(extract(Path(sys.argv[1]), Readers())[0])",
        str(big),
    )
    dims, jpeg_bytes = result.split()
    assert dims == "12500×8000"
    assert int(jpeg_bytes) < 7 * 1024 * 1024  # sent as a reduced copy, not 100 MP
    # Full decode is 300 MB of RGB; the draft decode at 1/4 scale is ~19 MB.
    assert int(grown_kb) < 150_000, f"grew by {int(grown_kb) // 1024} MB"


def test_mp4_cut_short_in_its_index_is_damaged(tmp_path: Path) -> None:
    clip = write_video(tmp_path / "clip.mp4", 2, audio=True)
    data = clip.read_bytes()
    moov = data.find(b"moov")
    assert moov > 0
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: moov + 100])  # the moov box (stream table) is incomplete
    with pytest.raises(ExtractError, match="damaged or truncated video"):
        extract(cut, NO_MODELS)
