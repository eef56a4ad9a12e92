"""Searching with a file (`loci search --file`): long media within one request's limits, an
indexed file by its stored vectors, and never the file itself among the hits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.app import Engine
from core.config import Settings
from core.embed.gemini import GeminiEmbedder
from core.extract.readers import Readers
from tests.core.test_media_gemini import data, mime
from tests.core.test_media_helpers import duration_of, write_audio, write_video
from tests.fakes.gemini_server import FakeGemini
from tests.helpers import drain, make_pdf, write


class CountingTranscriber:
    name = "counting"

    def __init__(self) -> None:
        self.calls = 0

    def transcribe(self, samples: Any) -> list[Any]:
        self.calls += 1
        return []


@pytest.fixture
def transcriber(monkeypatch: pytest.MonkeyPatch) -> CountingTranscriber:
    import core.extract.readers as readers

    counting = CountingTranscriber()
    monkeypatch.setattr(readers, "_default", Readers(transcriber=counting))
    return counting


@pytest.fixture
def engine(
    tmp_path: Path, gemini_server: FakeGemini, transcriber: CountingTranscriber
) -> Iterator[tuple[Engine, Path]]:
    gemini_server.semantic = True
    root = tmp_path / "memories"
    root.mkdir()
    settings = Settings(folders=[str(root)], provider="gemini")
    embedder = GeminiEmbedder(base_url=gemini_server.base_url, sleep=lambda _s: None)
    yield Engine(settings, data=tmp_path / "data", embedder=embedder), root
    embedder.close()


def media_parts(gemini_server: FakeGemini) -> list[dict[str, Any]]:
    (content,) = gemini_server.embed_contents()  # one query, one Content
    return [
        p.get("inline_data") or p.get("inlineData") for p in content["parts"] if "text" not in p
    ]


def test_a_new_long_pdf_is_asked_by_its_first_six_pages(
    engine: tuple[Engine, Path], gemini_server: FakeGemini, tmp_path: Path
) -> None:
    import pypdfium2 as pdfium

    eng, _root = engine
    pdf = make_pdf(tmp_path / "elsewhere" / "report.pdf", [f"Page {i}" for i in range(1, 11)])
    eng.searcher().search("budget", files=[pdf])
    (part,) = media_parts(gemini_server)
    assert mime(part) == "application/pdf"
    doc = pdfium.PdfDocument(data(part))
    assert len(doc) == 6
    doc.close()


def test_a_new_long_recording_is_asked_by_its_first_180_seconds_without_recognition(
    engine: tuple[Engine, Path], gemini_server: FakeGemini, tmp_path: Path
) -> None:
    eng, _root = engine
    wav = write_audio(tmp_path / "elsewhere" / "talk.wav", 240, chunk=30)
    eng.searcher().search("", files=[wav])
    (part,) = media_parts(gemini_server)
    assert mime(part) in ("audio/mp3", "audio/wav")
    assert duration_of(data(part)) <= 180.1


def test_a_new_long_video_is_asked_by_one_window(
    engine: tuple[Engine, Path], gemini_server: FakeGemini, tmp_path: Path
) -> None:
    eng, _root = engine
    clip = write_video(tmp_path / "elsewhere" / "clip.mp4", 180, fps=1, gop=2, audio=False)
    eng.searcher().search("harbour", files=[clip])
    parts = media_parts(gemini_server)
    videos = [p for p in parts if mime(p).startswith("video/")]
    assert len(videos) == 1 and duration_of(data(videos[0])) <= 120.0
    assert len(parts) - len(videos) <= 1  # its keyframe


def test_an_indexed_file_is_asked_by_its_stored_vectors_and_is_not_its_own_hit(
    engine: tuple[Engine, Path], gemini_server: FakeGemini, transcriber: CountingTranscriber
) -> None:
    eng, root = engine
    wav = write_audio(root / "talk.wav", 240, chunk=30)
    write(root / "cats.md", "# Cats\nThe grey tabby sleeps on the sofa.\n")
    drain(eng.index())
    recognised = transcriber.calls
    sent = len(gemini_server.embed_contents())
    hits = eng.searcher().search("", files=[wav])
    assert len(gemini_server.embed_contents()) == sent  # nothing sent at all
    assert transcriber.calls == recognised  # no second speech recognition
    assert all(h.path != str(wav) for h in hits)
    # With words: the words are embedded, the file adds its stored vectors.
    hits = eng.searcher().search("tabby", files=[root / "cats.md"])
    (content,) = gemini_server.embed_contents()[sent:]
    assert [p["text"] for p in content["parts"]] == ["task: search result | query: tabby"]
    assert all(h.path != str(root / "cats.md") for h in hits)
