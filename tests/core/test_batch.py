"""Batch mode: results matched to pieces by key only, across a restart, faults included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core import batch
from core.app import Engine
from core.config import Settings
from core.embed.gemini import GeminiEmbedder
from core.embed.gemini_prefixes import fit_text, prefixed
from tests.fakes.gemini_server import FakeGemini, content_vector
from tests.helpers import drain, write

DIMS = 768


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    for i in range(40):
        write(root / f"n{i:02d}.md", f"# Note {i}\nThe body of note number {i}, about topic {i}.\n")
    return root


def engine_for(root: Path, data: Path, **options: Any) -> Engine:
    """A fresh engine and provider, as a new process would build them."""
    embedder = GeminiEmbedder(sleep=lambda s: None, **options)
    settings = Settings(folders=[str(root)], provider="gemini")
    return Engine(settings, data=data, embedder=embedder)


def stored(engine: Engine) -> list[dict[str, Any]]:
    return engine.store.pieces.search().limit(None).to_arrow().to_pylist()  # type: ignore[no-any-return]


def expected_vector(row: dict[str, Any]) -> np.ndarray:
    """The vector the fake computes from exactly the Content this piece should have sent."""
    text = prefixed(fit_text(row["text"]), "document", title=row["title"])
    v = np.asarray(content_vector({"parts": [{"text": text}]}, DIMS), dtype=np.float32)
    return v / np.linalg.norm(v)


def assert_every_vector_is_its_own(engine: Engine) -> int:
    rows = stored(engine)
    for row in rows:
        np.testing.assert_allclose(
            np.asarray(row["vector"]), expected_vector(row), atol=1e-5, err_msg=row["path"]
        )
    return len(rows)


def test_a_batch_collected_after_a_restart_stores_only_matching_vectors(
    gemini_server: FakeGemini, vault: Path, tmp_path: Path
) -> None:
    # Out of order, one result missing, one failed: the shape that shifted 240 vectors.
    gemini_server.batch_shuffle = True
    gemini_server.batch_drop = {3}
    gemini_server.batch_fail = {17}
    data = tmp_path / "data"
    first = engine_for(vault, data)
    with first.lock:
        job = batch.submit(first, first.folders)
    assert job is not None and len(batch.job_keys(job)) == 40
    first.embedder.close()  # type: ignore[attr-defined]
    del first

    later = engine_for(vault, data)  # a new process: nothing in memory
    pending = batch.pending_job(later)
    assert pending is not None
    assert batch.poll(later, pending) is None  # still running
    collected = batch.poll(later, pending)
    assert collected is not None and collected.missing == 2
    report = drain(batch.ingest(later, pending, collected, later.folders))

    assert gemini_server.embed_bodies() == []  # nothing went online behind our back
    assert report.indexed == 38 and report.pending == 2
    assert assert_every_vector_is_its_own(later) == 38
    files = later.store.files()
    left = sorted(f.error for f in files.values() if f.status == "pending")
    assert len(left) == 2
    assert any("injected failure" in e for e in left)
    assert any("no result" in e for e in left)
    assert batch.pending_job(later) is None
    # The JSONL input file is deleted once its results are stored.
    inputs = [f for f in gemini_server.files.values() if f.get("source") != "GENERATED"]
    assert inputs and all(f.get("deleted") for f in inputs)

    # The next online run fills in the two pieces, each with its own vector.
    report = drain(later.index())
    assert report.indexed == 2
    assert assert_every_vector_is_its_own(later) == 40


def test_a_failed_job_keeps_nothing_wrong_and_leaves_files_pending(
    gemini_server: FakeGemini, vault: Path, tmp_path: Path
) -> None:
    gemini_server.fail_batches = True
    engine = engine_for(vault, tmp_path / "data")
    job = batch.submit(engine, engine.folders)
    assert job is not None
    assert batch.poll(engine, job) is None
    collected = batch.poll(engine, job)
    assert collected is not None and collected.ended and "FAILED" in collected.ended[0]
    report = drain(batch.ingest(engine, job, collected, engine.folders))
    assert report.pending == 40 and report.indexed == 0
    assert stored(engine) == []


def test_a_file_edited_after_submitting_goes_online_with_its_new_content(
    gemini_server: FakeGemini, vault: Path, tmp_path: Path
) -> None:
    engine = engine_for(vault, tmp_path / "data")
    job = batch.submit(engine, engine.folders)
    assert job is not None
    write(vault / "n05.md", "# Note 5\nRewritten after the job was sent.\n")
    batch.poll(engine, job)
    collected = batch.poll(engine, job)
    assert collected is not None
    drain(batch.ingest(engine, job, collected, engine.folders))
    assert len(gemini_server.embed_contents()) == 1  # only the edited piece went online
    assert assert_every_vector_is_its_own(engine) == 40


def test_big_submissions_are_split_into_several_jobs(
    gemini_server: FakeGemini, vault: Path, tmp_path: Path
) -> None:
    engine = engine_for(vault, tmp_path / "data", batch_file_limit=4_000)
    job = batch.submit(engine, engine.folders)
    assert job is not None and len(job["jobs"]) > 1
    assert len(set(batch.job_keys(job))) == 40
    batch.poll(engine, job)
    collected = batch.poll(engine, job)
    assert collected is not None and collected.missing == 0
    report = drain(batch.ingest(engine, job, collected, engine.folders))
    assert report.indexed == 40
    assert assert_every_vector_is_its_own(engine) == 40
    assert all(f.get("deleted") for f in gemini_server.files.values() if "source" not in f)


def test_a_batch_submission_stops_at_the_budget_at_half_price(
    gemini_server: FakeGemini, vault: Path, tmp_path: Path
) -> None:
    from core import cost
    from core.extract import extract
    from core.extract.readers import Readers

    half = cost.pieces_cost(extract(vault / "n00.md", Readers()), batch=True)
    engine = engine_for(vault, tmp_path / "data")
    engine.settings.budget_usd = half * 10.5
    job = batch.submit(engine, engine.folders)
    assert job is not None and job["over_budget"]
    assert len(batch.job_keys(job)) == 10
    batch.poll(engine, job)
    collected = batch.poll(engine, job)
    assert collected is not None
    report = drain(batch.ingest(engine, job, collected, engine.folders))
    # The ten in the job are stored at half price; the rest would go online, over budget.
    assert report.indexed == 10 and report.budget_stop
    assert gemini_server.embed_bodies() == []
    assert engine.status().spent_usd == pytest.approx(half * 10, rel=0.1)


def test_large_media_uploaded_for_a_batch_are_deleted_once_collected(
    gemini_server: FakeGemini, tmp_path: Path
) -> None:
    from tests.helpers import make_image

    root = tmp_path / "photos"
    make_image(root / "beach.png", size=(300, 200))
    make_image(root / "dinner.png", size=(200, 300))
    engine = engine_for(root, tmp_path / "data", inline_limit=100)  # both go as uploads
    job = batch.submit(engine, engine.folders)
    assert job is not None
    uploads = [n for sub in job["jobs"] for n in sub["cleanup"]]
    assert len(uploads) == 3  # two photos and the JSONL input
    lines = gemini_server.files[uploads[-1].removeprefix("files/")]["data"].decode()
    assert lines.count('"file_data"') == 2  # the requests point at the uploads
    batch.poll(engine, job)
    collected = batch.poll(engine, job)
    assert collected is not None and collected.missing == 0
    report = drain(batch.ingest(engine, job, collected, engine.folders))
    assert report.indexed == 2
    assert all(gemini_server.files[n.removeprefix("files/")].get("deleted") for n in uploads)


def test_the_stand_in_provider_is_seen_as_the_one_it_wraps() -> None:
    """The indexer asks with isinstance; Python 3.12+ answers from the class and instance
    alone (no __getattr__), so the stand-in says every attribute outright."""
    from core.embed.base import BatchMode, Embedder, GoesOffline, PrefersBatch, Priced

    inner = GeminiEmbedder(sleep=lambda s: None, batch_size=10, concurrency=3)
    stand_in = batch.Precomputed(inner, batch.Collected(set()))
    assert isinstance(stand_in, Embedder) and isinstance(stand_in, Priced)
    assert isinstance(stand_in, GoesOffline) and not isinstance(stand_in, BatchMode)
    assert isinstance(stand_in, PrefersBatch) and stand_in.preferred_batch == 30
    assert (stand_in.provider, stand_in.model_id, stand_in.dims) == ("gemini", inner.model_id, 768)
    assert stand_in.recall_floor == stand_in.score_floor == inner.score_floor
