"""Cost before sending (the estimate), a budget while sending, and what was spent."""

from __future__ import annotations

from pathlib import Path

import pytest

from core import cost
from core.app import Engine
from core.config import Settings
from core.embed.gemini import GeminiEmbedder
from core.extract import extract
from core.extract.readers import Readers
from core.model import MediaPart, Piece
from tests.core.test_media_helpers import write_audio
from tests.fakes.gemini_server import FakeGemini
from tests.helpers import drain, make_image, make_pdf, write


def test_prices_follow_the_modalities() -> None:
    talk = Piece(
        kind="audio",
        title="talk.wav",
        text="",
        locator={"seconds": [0.0, 180.0]},
        media=[MediaPart(mime="audio/mp3", data=b"")],
    )
    tokens = cost.piece_tokens(talk)
    assert tokens["audio"] == 180 * 32
    assert cost.dollars({"audio": 1_000_000}) == pytest.approx(6.50)
    assert cost.dollars({"video": 1_000_000}, batch=True) == pytest.approx(6.00)
    assert cost.dollars({"text": 1_000_000}) == pytest.approx(0.20)
    assert cost.dollars({"image": 1_000_000}) == pytest.approx(0.45)
    window = Piece(
        kind="pdf",
        title="r",
        text="",
        locator={"pages": [7, 12]},
        media=[MediaPart(mime="application/pdf", data=b"")],
    )
    assert cost.piece_tokens(window)["image"] == 6 * 258


def test_the_estimate_counts_each_kind_and_sends_nothing(
    gemini_server: FakeGemini, tmp_path: Path
) -> None:
    root = tmp_path / "vault"
    write(root / "a.md", "x" * 4000)
    write(root / "b.md", "y" * 400)
    make_pdf(root / "report.pdf", [f"Page {i}" for i in range(10)])
    write_audio(root / "memo.wav", 60)
    make_image(root / "beach.png")
    write(root / "private" / "diary.md", "secret " * 100)
    settings = Settings(folders=[str(root)], local_only=[str(root / "private")])
    est = cost.estimate_folders(settings)
    rows = {r.kind: r for r in est.ordered()}
    assert rows["note"].files == 2 and rows["note"].tokens == {"text": 1100}
    assert rows["pdf"].tokens["image"] == 10 * 258
    assert rows["audio"].tokens["audio"] == pytest.approx(60 * 32, abs=32)
    assert rows["image"].files == 1
    assert est.local_only == 1
    assert est.batch() == pytest.approx(est.online() / 2)
    assert rows["audio"].online() > rows["note"].online()  # sound costs far more than text
    assert gemini_server.requests == []
    table = "\n".join(cost.describe(est))
    assert "audio" in table and "total" in table


def test_a_budget_stops_the_run_before_it_is_exceeded_and_the_rest_waits(
    gemini_server: FakeGemini, tmp_path: Path
) -> None:
    root = tmp_path / "vault"
    for i in range(20):
        write(root / f"n{i:02d}.md", f"# Note {i}\nThe body of note number {i}.\n")
    one = cost.pieces_cost(extract(root / "n00.md", Readers()))
    settings = Settings(folders=[str(root)], provider="gemini", budget_usd=one * 5.5)
    embedder = GeminiEmbedder(batch_size=2, concurrency=1, sleep=lambda s: None)
    engine = Engine(settings, data=tmp_path / "data", embedder=embedder)
    report = drain(engine.index())
    assert report.budget_stop and "budget" in report.budget_stop
    assert report.indexed == 5 and report.pending == 15
    assert len(gemini_server.embed_contents()) == 5  # nothing sent past the budget
    spent = engine.status().spent_usd
    assert 0 < spent <= settings.budget_usd
    settings.budget_usd = 0.0  # no limit: the next run does the rest
    report = drain(engine.index())
    assert report.indexed == 15 and not report.budget_stop
    assert engine.status().spent_usd == pytest.approx(one * 20, rel=0.2)
