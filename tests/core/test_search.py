import os
import time
from pathlib import Path

import numpy as np
import pytest

from core.app import Engine
from core.config import Settings
from core.search import Filters, make_snippet
from tests.helpers import NO_MODELS, HashEmbedder, drain, make_image, write


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    root = tmp_path / "notes"
    write(root / "pets" / "cats.md", "# Cats\nMiso the tabby cat sleeps on the sofa all day\n")
    write(root / "pets" / "dogs.md", "# Dogs\nRex the dog fetches the ball in the park\n")
    write(root / "work" / "pricing.md", "# Pricing\nthree tiers free plus team pricing\n")
    write(root / "work" / "budget.md", "# Budget\nquarterly budget numbers and pricing\n")
    make_image(root / "pets" / "cat-photo.png")
    old = write(root / "old" / "ancient.md", "Miso the tabby cat as a kitten\n")
    os.utime(old, (1_000_000_000, 1_000_000_000))
    settings = Settings(folders=[str(root)])
    eng = Engine(settings, data=tmp_path / "data", embedder=HashEmbedder(), readers=NO_MODELS)
    for _ in eng.index():
        pass
    return eng


def test_search_ranks_by_meaning_grouped_per_file(engine: Engine) -> None:
    hits = engine.searcher().search("tabby cat sofa")
    assert hits[0].path.endswith("cats.md")
    assert len({h.path for h in hits}) == len(hits)
    assert hits[0].score > 0.2
    assert "tabby" in hits[0].matched_terms


def test_filters_by_kind_folder_and_date(engine: Engine) -> None:
    s = engine.searcher()
    root = Path(engine.folders[0])
    assert {h.kind for h in s.search("cat photo", filters=Filters(kinds=["image"]))} == {"image"}
    in_work = s.search("pricing", filters=Filters(folder=str(root / "work")))
    assert in_work and all("/work/" in h.path for h in in_work)
    recent = s.search("Miso tabby cat", filters=Filters(since=time.time() - 86400))
    assert all(not h.path.endswith("ancient.md") for h in recent)
    assert any(h.path.endswith("ancient.md") for h in s.search("Miso tabby cat kitten"))


def test_unrelated_query_is_no_good_match(engine: Engine) -> None:
    assert engine.searcher().search("zzz qqq xylophone") == []


def test_keyword_hits_are_fused(engine: Engine) -> None:
    hits = engine.searcher().search("quarterly")
    assert hits and hits[0].path.endswith("budget.md")


def test_recall_excludes_the_item_and_ranks_by_dot_product(engine: Engine) -> None:
    s = engine.searcher()
    cats = next(p for p in s.vectors.paths if p.endswith("cats.md"))
    hits = s.recall(path=cats, floor=-1.0)
    assert cats not in [h.path for h in hits]
    src = s.vectors.matrix[s.vectors.paths == cats]
    expected = []
    for h in hits:
        rows = s.vectors.matrix[s.vectors.paths == h.path]
        expected.append(float((rows @ src.T).max()))
    assert [round(h.score, 5) for h in hits] == [round(e, 5) for e in expected]
    assert expected == sorted(expected, reverse=True)
    assert hits[0].path.endswith("ancient.md")  # shares "Miso the tabby cat"


def test_recall_pairs_of_a_photo_and_a_note_may_have_their_own_floor(engine: Engine) -> None:
    """An embedder's ``photo_recall_floor`` judges a photo paired with a memory of another
    kind; note pairs and photo pairs keep ``recall_floor``; an explicit floor applies to all."""
    make_image(Path(engine.folders[0]) / "pets" / "cat-photo-2.png", size=(80, 60))
    drain(engine.index())
    s = engine.searcher()
    cats = next(p for p in s.vectors.paths if p.endswith("cats.md"))
    photo = next(p for p in s.vectors.paths if p.endswith("cat-photo.png"))
    every = {h.path: h.score for h in s.recall(path=cats, floor=-1.0)}
    files = len(every)
    s.embedder.recall_floor = max(every.values()) + 0.01  # type: ignore[misc]  # no pair passes
    assert s.recall(path=cats) == []
    s.embedder.photo_recall_floor = every[photo] - 0.001  # type: ignore[misc]
    shown = [h.path for h in s.recall(path=cats)]
    assert photo in shown  # notes scoring above the photo still stay under their floor
    assert all(not p.endswith(".md") for p in shown)
    # From a photo: the note shows under the photo floor; another photo keeps the recall
    # floor, however close.
    every = {h.path: h.score for h in s.recall(path=photo, floor=-1.0)}
    twin = next(p for p in every if p.endswith("cat-photo-2.png"))
    s.embedder.recall_floor = every[twin] + 0.01  # type: ignore[misc]
    s.embedder.photo_recall_floor = every[cats] - 0.001  # type: ignore[misc]
    back = [h.path for h in s.recall(path=photo)]
    assert cats in back and twin not in back
    assert len(s.recall(path=cats, floor=-1.0)) == files


def test_recall_from_text(engine: Engine) -> None:
    hits = engine.searcher().recall(text="Rex the dog park ball")
    assert hits[0].path.endswith("dogs.md")


def test_search_by_file(engine: Engine, tmp_path: Path) -> None:
    q = write(tmp_path / "query.md", "the cat sleeps on the sofa all day")
    hits = engine.searcher().search(files=[q])
    assert hits[0].path.endswith("cats.md")


def test_matrix_stays_in_step_after_reindex(engine: Engine) -> None:
    s = engine.searcher()
    n = len(s.vectors)
    root = Path(engine.folders[0])
    write(root / "pets" / "birds.md", "# Birds\nparrot parakeet cockatoo\n")
    (root / "pets" / "dogs.md").unlink()
    for _ in engine.index():
        pass
    assert len(s.vectors) == n  # one piece in, one out
    assert s.search("parrot cockatoo")[0].path.endswith("birds.md")
    assert not any(p.endswith("dogs.md") for p in s.vectors.paths)
    live = s.vectors.snap.alive  # a deleted file's rows stay masked until the next merge
    assert np.allclose(np.linalg.norm(s.vectors.matrix[live], axis=1), 1.0, atol=1e-5)


def test_snippet_centres_on_terms() -> None:
    text = "intro " * 100 + "the pricing tiers we drew " + "outro " * 100
    snippet, matched = make_snippet(text, ["pricing"])
    assert "pricing tiers" in snippet and snippet.startswith("…") and matched == ["pricing"]
