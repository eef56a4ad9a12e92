"""The ordering rules of search, pinned on a tiny folder with the real offline model."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.app import Engine
from core.config import Settings
from core.embed.gemini import GeminiEmbedder
from core.relevance import query_terms
from tests.fakes.gemini_server import API_KEY, FakeGemini
from tests.helpers import write


@pytest.fixture
def engine(tmp_path: Path, local_embedder) -> Engine:
    root = tmp_path / "notes"
    write(
        root / "journal" / "monday.md",
        "# Monday\n\nCouldn't fall asleep until 3 am. Kept going over the reorg meeting and "
        "whether my team survives it; work stress is eating my nights.\n",
    )
    write(root / "pets" / "miso.md", "# Miso\n\nOur grey tabby cat sleeps on the sofa all day.\n")
    write(
        root / "bike" / "shop.md",
        "# Bike repair at Velo Werk\n\nNew chain and brake pads; the shop quoted 85 euros.\n",
    )
    write(
        root / "insurance.txt",
        "Home contents policy. How to claim: repairs to insured items must be approved first.",
    )
    write(root / "empty.md", "")
    write(root / "groceries.txt", "  \n\t\n")
    eng = Engine(Settings(folders=[str(root)]), data=tmp_path / "data", embedder=local_embedder)
    for _ in eng.index():
        pass
    return eng


def names(hits) -> list[str]:
    return [Path(h.path).name for h in hits]


@pytest.mark.parametrize(
    ("query", "answer"),
    [
        ("couldn't sleep because I was stressed about my job", "monday.md"),  # not "sleeps"
        ("how much is the bicycle repair", "shop.md"),  # not the policy's "how", "repairs"
    ],
)
def test_a_strong_vector_match_beats_a_one_word_keyword_match(
    engine: Engine, query: str, answer: str
) -> None:
    hits = engine.searcher().search(query)
    assert names(hits)[0] == answer


@pytest.mark.parametrize("query", ["x", "qwzx blorft vexillum", "sourdough", "roof"])
def test_an_empty_note_never_matches_by_meaning(engine: Engine, query: str) -> None:
    s = engine.searcher()
    assert not {"empty.md", "groceries.txt"} & set(names(s.search(query)))
    # Even with the floor off they score nothing: they have no vector.
    unfloored = s.search(query, floor=-1.0)
    assert all(h.score <= 0.0 for h in unfloored if names([h])[0] in ("empty.md", "groceries.txt"))


def test_an_empty_note_is_found_by_its_name(engine: Engine) -> None:
    assert names(engine.searcher().search("groceries")) == ["groceries.txt"]


def test_nonsense_is_no_good_match(engine: Engine) -> None:
    s = engine.searcher()
    assert s.search("qwzx blorft vexillum") == []
    assert s.search("knitting pattern for a wool scarf") == []


@pytest.mark.parametrize("query", ["cat on the sofa", "repair", "work stress at night"])
def test_scores_shown_follow_the_order(engine: Engine, query: str) -> None:
    scores = [h.score for h in engine.searcher().search(query, floor=-1.0)]
    assert scores and scores == sorted(scores, reverse=True)


def test_keyword_queries_are_cleaned_like_snippets() -> None:
    assert query_terms("l'eau coule à travers le plafond") == ["eau", "coule", "travers", "plafond"]
    assert query_terms("How much is the bicycle repair?") == ["bicycle", "repair"]
    assert query_terms("Was kostet die Reparatur") == ["kostet", "reparatur"]


def test_recall_from_typed_text_is_embedded_like_a_memory(
    tmp_path: Path, gemini_server: FakeGemini
) -> None:
    """Typed text is compared with stored documents, so it goes out in the document form."""
    root = tmp_path / "notes"
    write(root / "dentist.md", "Book the dentist, stop doomscrolling.")
    embedder = GeminiEmbedder(api_key=API_KEY, base_url=gemini_server.base_url)
    eng = Engine(Settings(folders=[str(root)]), data=tmp_path / "data", embedder=embedder)
    for _ in eng.index():
        pass
    eng.searcher().recall(text="I should really book the dentist")
    last = gemini_server.embed_contents()[-1]
    assert [p["text"] for p in last["parts"]] == [
        "title: none | text: I should really book the dentist"
    ]
    embedder.close()


def test_the_floor_can_be_set_in_the_settings() -> None:
    from core.app import make_embedder

    assert make_embedder(Settings()).score_floor == 0.225
    assert make_embedder(Settings(score_floor=0.3)).score_floor == 0.3
    gemini = make_embedder(Settings(provider="gemini", score_floor=0.5))
    assert gemini.score_floor == 0.5
