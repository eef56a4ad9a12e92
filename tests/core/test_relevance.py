"""The ordering rules of search, pinned on a tiny folder with the real offline model."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.app import Engine
from core.config import Settings
from core.embed.gemini import GeminiEmbedder
from core.relevance import Evidence, Weights, bonus, query_terms
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


def _evidence(bm25: dict[int, float]) -> Evidence:
    """Two terms of equal weight: row 1 holds both, row 2 one, row 3 neither."""
    return Evidence(
        terms=["sourdough", "starter"],
        idf={"sourdough": 2.0, "starter": 2.0},
        rare={"sourdough"},
        holders={"sourdough": {1, 2}, "starter": {1}},
        bm25=bm25,
        best_bm25=max(bm25.values()),
    )


def test_the_strength_part_goes_to_the_strongest_keyword_match_of_half_the_query() -> None:
    w = Weights()
    ev = _evidence({1: 10.0, 2: 10.0, 3: 10.0})
    # Row 1 holds the whole query: coverage gives its most, strength its most, within the cap.
    assert bonus(ev, 1, w) == pytest.approx(min(w.bonus_max, w.coverage_max + w.strength_max))
    # Row 2 holds half of it: a little coverage, and the strength of the best BM25.
    half = w.coverage_max * (0.5 - w.coverage_start) / (1 - w.coverage_start)
    assert bonus(ev, 2, w) == pytest.approx(half + w.strength_max)
    # Row 3 holds none of the query's words: a BM25 score alone adds nothing.
    assert bonus(ev, 3, w) == 0.0
    # Strength falls off as the cube of the share of the query's best BM25.
    weaker = _evidence({1: 20.0, 2: 10.0})
    assert bonus(weaker, 2, w) == pytest.approx(half + w.strength_max * 0.5**3)


def test_the_whole_bonus_never_passes_its_cap() -> None:
    w = Weights(coverage_max=0.2, strength_max=0.2)
    assert bonus(_evidence({1: 5.0}), 1, w) == pytest.approx(w.bonus_max)


def test_the_cli_and_the_window_mark_the_same_words():
    from core.commands.output import highlight as cli_highlight
    from core.relevance import term_pattern

    text = "Repairs to the bicycle: the repairman replaced a bike chain & brake <pads>"
    terms = ["repair", "bicycles", "chains"]
    pattern = term_pattern(terms)
    assert pattern is not None and term_pattern([]) is None
    marked = [m.group(0) for m in pattern.finditer(text)]
    assert marked == ["Repairs", "bicycle", "repairman", "chain"]
    assert cli_highlight(text, terms, tty=True).count("\033[1m") == 4
    assert cli_highlight(text, terms, tty=False) == text
