"""The indexer over the Gemini provider in real faults: a dead network, a rejected key, a
broken linked image. The real SDK talks to the fake server."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from core.app import Engine
from core.config import Settings
from core.embed.base import Query
from core.embed.gemini import GeminiEmbedder
from core.index import Indexer
from tests.fakes.gemini_server import BAD_KEY, FakeGemini, Fault, closed_port_url
from tests.helpers import drain, write


def notes(root: Path, n: int) -> Path:
    for i in range(n):
        write(root / f"n{i:02d}.md", f"# Note {i}\nThe body of note number {i}.\n")
    return root


def engine(root: Path, data: Path, **options: Any) -> Engine:
    embedder = GeminiEmbedder(**options)
    return Engine(Settings(folders=[str(root)], provider="gemini"), data=data, embedder=embedder)


def test_a_dead_network_is_retried_once_per_run_not_once_per_round(
    gemini_server: FakeGemini, tmp_path: Path
) -> None:
    sleeps: list[float] = []
    root = notes(tmp_path / "vault", 12)
    eng = engine(
        root,
        tmp_path / "data",
        base_url=closed_port_url(),
        batch_size=2,
        concurrency=1,
        sleep=sleeps.append,
    )
    report = drain(eng.index())  # six rounds of two notes
    assert len(sleeps) == 4  # one call's retries (5 attempts), not six rounds' worth
    assert report.pending == 12 and report.indexed == 0 and not report.fatal
    rows = eng.store.files()
    assert {f.status for f in rows.values()} == {"pending"}  # the first round's, recorded
    assert all("left pending" in f.error for f in rows.values())
    # The next run tries again (the server is back): everything is indexed.
    eng.embedder._base_url = gemini_server.base_url  # type: ignore[attr-defined]
    eng.embedder.close()  # type: ignore[attr-defined]
    # A search is never refused for a run's dead network: it tries.
    assert eng.embedder.embed_query(Query(text="note")).shape == (768,)
    report = drain(eng.index())
    assert report.indexed == 12 and report.pending == 0


def test_a_fatal_error_keeps_the_vectors_already_returned_in_its_round(
    gemini_server: FakeGemini, tmp_path: Path
) -> None:
    root = notes(tmp_path / "vault", 6)
    eng = engine(root, tmp_path / "data", batch_size=2, concurrency=1, sleep=lambda s: None)
    indexer = Indexer(eng.store, eng.embedder, eng.excluder)
    indexer.batch_pieces = 6  # one round of three calls
    gemini_server.inject(Fault(200), Fault(400, BAD_KEY))
    report = drain(indexer.run([root]))
    assert "key rejected" in report.fatal
    stored = {Path(p).name for p, f in eng.store.files().items() if f.status == "indexed"}
    assert stored == {"n00.md", "n01.md"}  # the first call's two vectors were paid for


def test_a_broken_linked_image_drops_the_image_and_keeps_the_text(
    gemini_server: FakeGemini, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "vault"
    broken = root / "img" / "broken.webp"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"RIFF\x00\x00\x00\x00WEBPnot really")
    write(root / "trip.md", "# Trip\nThe harbour at dawn. ![](img/broken.webp)\n")
    eng = engine(root, tmp_path / "data", sleep=lambda s: None)
    with caplog.at_level(logging.WARNING):
        drain(eng.index())
    files = {Path(p).name: f for p, f in eng.store.files().items()}
    assert files["trip.md"].status == "indexed"
    sent = [c for c in gemini_server.embed_contents() if "harbour" in str(c)]
    assert len(sent) == 1 and len(sent[0]["parts"]) == 1  # the text, without the image
    assert str(broken) in caplog.text and "BytesIO" not in caplog.text
    # The image itself fails alone, named, without Python's buffer repr.
    assert files["broken.webp"].status == "error"
    assert "BytesIO" not in files["broken.webp"].error
