"""The Gemini provider, driving the real google-genai SDK against the fake server."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.core
import numpy as np
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, PasswordDeleteError
from PIL import Image

from core import embed
from core.embed.base import CODE, FACT, QUESTION, SEARCH, SIMILARITY, Embedder, EmbedError, Query
from core.embed.gemini import NO_KEY, GeminiEmbedder, PieceError
from core.embed.gemini_prefixes import MAX_TEXT_TOKENS, estimate_tokens, prefixed
from core.embed.gemini_retry import KEY_REJECTED, Gate
from core.model import MediaPart, Piece
from core.secrets import (
    KeyringUnavailable,
    delete_api_key,
    get_api_key,
    resolve_api_key,
    set_api_key,
)
from tests.fakes.gemini_server import (
    API_KEY,
    TOO_MANY,
    FakeGemini,
    Fault,
    closed_port_url,
    content_vector,
)

Make = Callable[..., GeminiEmbedder]


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.saved: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.saved.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.saved[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.saved.pop((service, username), None) is None:
            raise PasswordDeleteError("no such password")


class BrokenKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringError("no D-Bus session")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringError("no D-Bus session")


@pytest.fixture(autouse=True)
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> MemoryKeyring:
    """Never read or write the real system keyring."""
    backend = MemoryKeyring()
    monkeypatch.setattr(keyring.core, "_keyring_backend", backend)
    return backend


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make(gemini_server: FakeGemini, sleeps: list[float]) -> Iterator[Make]:
    """Builds embedders pointed at the fake, recording backoff sleeps instead of sleeping."""
    made: list[GeminiEmbedder] = []

    def factory(**options: Any) -> GeminiEmbedder:
        options.setdefault("base_url", gemini_server.base_url)
        options.setdefault("sleep", sleeps.append)
        embedder = GeminiEmbedder(**options)
        made.append(embedder)
        return embedder

    yield factory
    for embedder in made:
        embedder.close()


def note(i: int, text: str = "") -> Piece:
    return Piece(kind="note", title=f"Note {i}", text=text or f"body of note {i}")


def image_bytes(fmt: str = "PNG", colour: str = "red", size: int = 8) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(out, fmt)
    return out.getvalue()


def expected(content: dict[str, Any], dims: int = 768) -> np.ndarray:
    """What the provider should return for a Content the fake received."""
    v = np.asarray(content_vector(content, dims), dtype=np.float32)
    return v / np.linalg.norm(v)


def texts(content: dict[str, Any]) -> list[str]:
    return [p["text"] for p in content["parts"] if "text" in p]


# --- prefixes and the request body ------------------------------------------------------


def test_documents_carry_the_title_prefix_and_dims(make: Make, gemini_server: FakeGemini) -> None:
    pieces = [
        Piece(kind="note", title="Trip", text="We hiked to the lake."),
        Piece(kind="note", title="", text="untitled"),
    ]
    make().embed_documents(pieces)

    [body] = gemini_server.embed_bodies()
    requests = body["requests"]
    assert [texts(r["content"]) for r in requests] == [
        ["title: Trip | text: We hiked to the lake."],
        ["title: none | text: untitled"],
    ]
    for r in requests:
        assert r["outputDimensionality"] == 768
        assert r["model"] == "models/gemini-embedding-2"
        assert "taskType" not in r and "title" not in r  # the task lives in the text
    headers = gemini_server.recorded()[0].headers
    assert headers["x-goog-api-key"] == API_KEY


@pytest.mark.parametrize(
    ("task", "prefix"),
    [
        (SEARCH, "task: search result | query: "),
        (QUESTION, "task: question answering | query: "),
        (FACT, "task: fact checking | query: "),
        (CODE, "task: code retrieval | query: "),
        (SIMILARITY, "task: sentence similarity | query: "),
    ],
)
def test_queries_carry_their_task_prefix(
    make: Make, gemini_server: FakeGemini, task: str, prefix: str
) -> None:
    vector = make().embed_query(Query(text="lake hike", task=task))

    [content] = gemini_server.embed_contents()
    assert texts(content) == [prefix + "lake hike"]
    assert vector.shape == (768,)


def test_prefixed_owns_every_form() -> None:
    assert prefixed("x", "document", title="T") == "title: T | text: x"
    assert prefixed("x", "document") == "title: none | text: x"
    # Symmetric tasks read the same on both sides.
    assert prefixed("x", "document", "clustering") == prefixed("x", "query", "clustering")
    assert prefixed("x", "query", "classification") == "task: classification | query: x"
    with pytest.raises(ValueError, match="unknown embedding task"):
        prefixed("x", "query", "summarise")


def test_dims_are_sent_and_checked(make: Make, gemini_server: FakeGemini) -> None:
    vectors = make(dims=1536).embed_documents([note(1)])

    assert gemini_server.embed_bodies()[0]["requests"][0]["outputDimensionality"] == 1536
    assert vectors.shape == (1, 1536)
    with pytest.raises(ValueError, match="128..3072"):
        GeminiEmbedder(dims=64)


# --- one vector per piece ---------------------------------------------------------------


def test_one_content_per_piece_with_interleaved_media(
    make: Make, gemini_server: FakeGemini
) -> None:
    png, jpeg = image_bytes("PNG"), image_bytes("JPEG", "blue")
    pieces = [
        Piece(
            kind="note",
            title="Beach",
            text="Sunset at the beach",
            media=[MediaPart("image/png", data=png), MediaPart("image/jpg", data=jpeg)],
        ),
        note(2),
        Piece(kind="image", title="cat.png", text="", media=[MediaPart("image/png", data=png)]),
    ]
    vectors = make().embed_documents(pieces)

    [body] = gemini_server.embed_bodies()
    assert len(body["requests"]) == 3  # one request, one vector, per piece
    first = body["requests"][0]["content"]["parts"]
    assert first[0] == {"text": "title: Beach | text: Sunset at the beach"}
    assert first[1]["inline_data"]["mime_type"] == "image/png"
    assert first[2]["inline_data"]["mime_type"] == "image/jpeg"  # image/jpg normalised
    assert len(first) == 3
    for row, request in zip(vectors, body["requests"], strict=True):
        np.testing.assert_allclose(row, expected(request["content"]), atol=1e-6)


def test_the_sdk_merges_a_plain_list_which_the_provider_avoids(
    make: Make, gemini_server: FakeGemini
) -> None:
    from google import genai
    from google.genai import types

    # The trap, shown with the SDK itself: a plain list is ONE request, one vector.
    options = types.HttpOptions(base_url=gemini_server.base_url, api_version="v1beta")
    plain: list[types.PartUnion] = ["a", "b"]
    with genai.Client(api_key=API_KEY, http_options=options) as client:
        response = client.models.embed_content(model="gemini-embedding-2", contents=plain)
    assert response.embeddings is not None and len(response.embeddings) == 1
    assert len(gemini_server.embed_bodies()[0]["requests"]) == 1

    vectors = make().embed_documents([note(1), note(2)])
    assert vectors.shape == (2, 768)
    assert len(gemini_server.embed_bodies()[1]["requests"]) == 2


def test_pieces_go_in_calls_of_at_most_100_in_order(make: Make, gemini_server: FakeGemini) -> None:
    pieces = [note(i) for i in range(250)]
    embedder = make()
    vectors = embedder.embed_documents(pieces)

    sizes = sorted(len(b["requests"]) for b in gemini_server.embed_bodies())
    assert sizes == [50, 100, 100]
    assert vectors.shape == (250, 768)
    by_text = {texts(c)[0]: c for c in gemini_server.embed_contents()}
    for i, row in enumerate(vectors):
        content = by_text[f"title: Note {i} | text: body of note {i}"]
        np.testing.assert_allclose(row, expected(content), atol=1e-6)
    assert embedder.calls == 250
    assert embedder.usage_tokens > 0  # summed from usageMetadata


def test_the_fake_refuses_more_than_100_like_the_service(gemini_server: FakeGemini) -> None:
    from google import genai
    from google.genai import errors, types

    options = types.HttpOptions(base_url=gemini_server.base_url, api_version="v1beta")
    contents = [types.Content(parts=[types.Part(text=str(i))]) for i in range(101)]
    with genai.Client(api_key=API_KEY, http_options=options) as client:
        with pytest.raises(errors.ClientError) as caught:
            client.models.embed_content(model="gemini-embedding-2", contents=contents)
    assert caught.value.code == 400
    assert caught.value.message == TOO_MANY


def test_vectors_are_unit_length_though_the_service_s_are_not(
    make: Make, gemini_server: FakeGemini
) -> None:
    vectors = make().embed_documents([note(i) for i in range(5)])

    raw = np.asarray(content_vector(gemini_server.embed_contents()[0], 768))
    assert abs(np.linalg.norm(raw) - 1.0) > 1.0
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors.dtype == np.float32


def test_a_short_answer_is_an_error_not_shifted_vectors(
    make: Make, gemini_server: FakeGemini
) -> None:
    gemini_server.inject(Fault(200, drop=1))
    embedder = make()
    results = embedder.embed_each([note(1), note(2), note(3)])

    assert all(isinstance(r, EmbedError) for r in results)
    assert "2 embeddings for 3 pieces" in str(results[0])
    gemini_server.inject(Fault(200, drop=1))
    with pytest.raises(PieceError) as caught:
        embedder.embed_documents([note(1), note(2)])
    assert caught.value.index == 0


# --- faults -----------------------------------------------------------------------------


def test_rate_limits_and_unavailable_are_retried_once_each(
    make: Make, gemini_server: FakeGemini, sleeps: list[float]
) -> None:
    gemini_server.inject(429, 503)
    embedder = make(backoff_s=1.0)
    vectors = embedder.embed_documents([note(1), note(2), note(3)])

    assert vectors.shape == (3, 768)
    assert len(gemini_server.recorded()) == 3  # two refused, one answered
    assert len(sleeps) == 2
    assert 0.5 <= sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 2.0  # doubling, with jitter
    assert embedder.calls == 3  # nothing counted twice


def test_retry_delay_from_the_service_is_honoured(
    make: Make, gemini_server: FakeGemini, sleeps: list[float]
) -> None:
    gemini_server.inject(Fault(429, "Quota exceeded", retry_delay="7s"))
    make(backoff_s=0.1, max_backoff_s=30).embed_documents([note(1)])

    assert sleeps == [pytest.approx(7.0, abs=0.1)]


def test_retries_run_out_as_a_transient_error(
    make: Make, gemini_server: FakeGemini, sleeps: list[float]
) -> None:
    gemini_server.inject(*[500] * 3)
    [result] = make(attempts=3).embed_each([note(1)])

    assert isinstance(result, PieceError)
    assert result.transient and not result.fatal
    assert len(gemini_server.recorded()) == 3
    assert len(sleeps) == 2


def test_a_refused_batch_fails_only_its_bad_piece(
    make: Make, gemini_server: FakeGemini, sleeps: list[float]
) -> None:
    gemini_server.reject_text = "POISON"
    pieces = [note(0), note(1), note(2, "POISON pill"), note(3), note(4)]
    results = make().embed_each(pieces)

    bad = results[2]
    assert isinstance(bad, PieceError)
    assert bad.index == 2 and not bad.transient and not bad.fatal
    assert "invalid argument" in str(bad)
    assert all(
        isinstance(r, np.ndarray) and r.shape == (768,) for i, r in enumerate(results) if i != 2
    )
    calls = [len(b["requests"]) for b in gemini_server.embed_bodies()]
    assert calls == [5, 2, 3, 1, 2]  # the batch, then halves until the bad one is alone
    assert sleeps == []  # a 400 is never retried


def test_a_refused_batch_is_halved_not_resent_piece_by_piece(
    make: Make, gemini_server: FakeGemini
) -> None:
    gemini_server.reject_text = "POISON"
    pieces = [note(i, "POISON" if i == 37 else "") for i in range(100)]
    results = make().embed_each(pieces)
    assert [i for i, r in enumerate(results) if isinstance(r, EmbedError)] == [37]
    assert len(gemini_server.embed_bodies()) <= 1 + 2 * 7  # log2(100) levels, two calls each


def test_embed_documents_names_the_failing_piece(make: Make, gemini_server: FakeGemini) -> None:
    gemini_server.reject_text = "POISON"
    with pytest.raises(PieceError) as caught:
        make().embed_documents([note(0), note(1, "POISON")])

    assert caught.value.index == 1
    assert len(gemini_server.embed_bodies()) == 3


def test_a_bad_key_is_fatal_and_stops_the_run(
    make: Make, gemini_server: FakeGemini, sleeps: list[float]
) -> None:
    embedder = make(api_key="not-the-key", concurrency=2)
    results = embedder.embed_each([note(i) for i in range(450)])

    assert all(isinstance(r, EmbedError) and r.fatal for r in results)
    assert str(results[0]) == KEY_REJECTED
    assert len(gemini_server.recorded()) <= 2  # calls already in flight, no more
    assert sleeps == []
    with pytest.raises(EmbedError, match="API key rejected") as caught:
        embedder.embed_query(Query(text="x"))
    assert caught.value.fatal


@pytest.mark.parametrize("status", [401, 403])
def test_unauthorised_and_forbidden_are_fatal(
    make: Make, gemini_server: FakeGemini, status: int
) -> None:
    gemini_server.inject(status)
    with pytest.raises(EmbedError) as caught:
        make().embed_documents([note(1)])

    assert caught.value.fatal
    assert str(caught.value) == KEY_REJECTED


def test_no_key_is_fatal_before_any_request(
    make: Make, gemini_server: FakeGemini, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GEMINI_API_KEY")
    [result] = make().embed_each([note(1)])

    assert isinstance(result, EmbedError) and result.fatal
    assert str(result) == NO_KEY
    assert gemini_server.requests == []


def test_the_key_comes_from_the_keyring(
    make: Make,
    gemini_server: FakeGemini,
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: MemoryKeyring,
) -> None:
    monkeypatch.delenv("GEMINI_API_KEY")
    set_api_key(f"  {API_KEY}\n")
    assert memory_keyring.saved == {("loci", "gemini-api-key"): API_KEY}
    assert get_api_key() == API_KEY

    assert make().embed_documents([note(1)]).shape == (1, 768)
    assert delete_api_key()
    assert not delete_api_key()
    assert resolve_api_key() is None


def test_the_environment_wins_over_the_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    set_api_key("from-keyring")
    monkeypatch.setenv("GOOGLE_API_KEY", "from-google")
    assert resolve_api_key() == "from-google"
    monkeypatch.setenv("GEMINI_API_KEY", "from-gemini")
    assert resolve_api_key() == "from-gemini"
    assert resolve_api_key("explicit") == "explicit"


def test_a_broken_keyring_is_just_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyring.core, "_keyring_backend", BrokenKeyring())
    assert get_api_key() is None
    with pytest.raises(KeyringUnavailable, match="set GEMINI_API_KEY in the environment"):
        set_api_key("k")
    assert resolve_api_key() is None


def test_a_dead_server_is_a_transient_error(
    make: Make, gemini_server: FakeGemini, sleeps: list[float]
) -> None:
    embedder = make(base_url=closed_port_url(), attempts=3, concurrency=1)
    results = embedder.embed_each([note(i) for i in range(150)])

    assert all(isinstance(r, EmbedError) and r.transient and not r.fatal for r in results)
    assert "cannot reach the Gemini API" in str(results[0])
    assert len(sleeps) == 2  # one call's retries; the next call was not even tried
    with pytest.raises(EmbedError) as caught:
        embedder.embed_query(Query(text="x"))
    assert caught.value.transient


def test_a_read_timeout_is_transient(make: Make, gemini_server: FakeGemini) -> None:
    gemini_server.latency_s = 1.0
    [result] = make(timeout_s=0.1, attempts=2).embed_each([note(1)])

    assert isinstance(result, EmbedError) and result.transient


def test_the_key_never_reaches_the_log(
    make: Make, gemini_server: FakeGemini, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    gemini_server.inject(429)
    embedder = make()
    embedder.embed_documents([note(1)])
    errors = [str(r) for r in make(api_key=API_KEY + "-wrong").embed_each([note(2)])]
    set_api_key(API_KEY)

    assert caplog.records  # the retry and the HTTP requests were logged
    assert API_KEY not in caplog.text
    assert all(API_KEY not in e for e in errors)
    assert API_KEY not in repr(embedder)


# --- limits and media -------------------------------------------------------------------


def test_limits_fail_only_the_piece_that_breaks_them(make: Make, gemini_server: FakeGemini) -> None:
    png = image_bytes()
    seven = Piece(kind="note", title="many", text="", media=[MediaPart("image/png", data=png)] * 7)
    zipped = Piece(
        kind="note", title="z", text="", media=[MediaPart("application/zip", data=b"PK")]
    )
    two_videos = Piece(
        kind="video", title="v", text="", media=[MediaPart("video/mp4", data=b"v")] * 2
    )
    results = make().embed_each([seven, note(1), zipped, two_videos])

    assert [type(r).__name__ for r in results] == [
        "PieceError",
        "ndarray",
        "PieceError",
        "PieceError",
    ]
    assert "at most 6" in str(results[0])
    assert "application/zip" in str(results[2])
    assert "video" in str(results[3])
    [body] = gemini_server.embed_bodies()
    assert len(body["requests"]) == 1  # only the good piece was sent


def test_other_image_types_are_converted(make: Make, gemini_server: FakeGemini) -> None:
    webp = image_bytes("WEBP")
    out = io.BytesIO()
    Image.new("RGBA", (4, 4), (0, 0, 0, 0)).save(out, "GIF", transparency=0)
    piece = Piece(
        kind="image",
        title="x",
        text="",
        media=[MediaPart("image/webp", data=webp), MediaPart("image/gif", data=out.getvalue())],
    )
    make().embed_documents([piece])

    parts = gemini_server.embed_contents()[0]["parts"]
    assert [p["inline_data"]["mime_type"] for p in parts[1:]] == ["image/jpeg", "image/png"]


def test_an_unreadable_file_fails_its_piece(make: Make, tmp_path: Any) -> None:
    piece = Piece(
        kind="image", title="gone", text="", media=[MediaPart("image/png", tmp_path / "gone.png")]
    )
    [result] = make().embed_each([piece])

    assert isinstance(result, PieceError) and "cannot read" in str(result)


def test_long_text_is_cut_to_the_token_limit(make: Make, gemini_server: FakeGemini) -> None:
    make().embed_documents([note(1, "word " * 20_000), note(2, "字" * 20_000)])

    for content in gemini_server.embed_contents():
        [text] = texts(content)
        assert estimate_tokens(text) <= MAX_TEXT_TOKENS
        assert len(text) > 1000


def test_large_media_go_through_the_files_api(
    make: Make, gemini_server: FakeGemini, sleeps: list[float], tmp_path: Any
) -> None:
    clip = tmp_path / "clip.mov"
    clip.write_bytes(b"\x00\x01" * 5000)
    piece = Piece(
        kind="video",
        title="clip.mov",
        text="",
        media=[MediaPart("video/quicktime", clip), MediaPart("image/png", data=image_bytes())],
    )
    vectors = make(inline_limit=2000, file_poll_s=0.5).embed_documents([piece])

    assert vectors.shape == (1, 768)
    start = gemini_server.recorded("/upload/v1beta/files")
    assert start[0].headers["x-goog-upload-protocol"] == "resumable"
    [finalize] = [r for r in gemini_server.requests if "upload_id=" in r.path]
    assert finalize.headers["x-goog-upload-command"] == "upload, finalize"
    assert finalize.body == clip.read_bytes()
    [(file_id, record)] = gemini_server.files.items()
    assert record["mimeType"] == "video/mov"
    assert sleeps == [0.5, 0.5]  # uploaded PROCESSING, then one poll still PROCESSING
    parts = gemini_server.embed_contents()[0]["parts"]
    assert parts[1] == {"file_data": {"file_uri": record["uri"], "mime_type": "video/mov"}}
    assert "inline_data" in parts[2]  # the small image stays inline
    assert record["deleted"]  # cleaned up after embedding


def test_inline_media_are_split_across_calls_by_size(make: Make, gemini_server: FakeGemini) -> None:
    png = image_bytes(size=64)
    pieces = [
        Piece(kind="image", title=str(i), text="", media=[MediaPart("image/png", data=png)])
        for i in range(6)
    ]
    make(inline_limit=len(png) * 2 + 50).embed_documents(pieces)

    assert [len(b["requests"]) for b in gemini_server.embed_bodies()] == [2, 2, 2]
    assert gemini_server.files == {}


# --- queries ----------------------------------------------------------------------------


def test_a_text_and_image_query_is_one_content(make: Make, gemini_server: FakeGemini) -> None:
    png = image_bytes()
    vector = make().embed_query(Query(text="red square", media=[MediaPart("image/png", data=png)]))

    [body] = gemini_server.embed_bodies()
    [request] = body["requests"]
    parts = request["content"]["parts"]
    assert parts[0] == {"text": "task: search result | query: red square"}
    assert parts[1]["inline_data"]["mime_type"] == "image/png"
    np.testing.assert_allclose(vector, expected(request["content"]), atol=1e-6)


def test_a_media_only_query_is_one_content_without_text(
    make: Make, gemini_server: FakeGemini
) -> None:
    make().embed_query(Query(media=[MediaPart("audio/mpeg", data=b"ID3")]))

    [content] = gemini_server.embed_contents()
    assert content["parts"] == [{"inline_data": {"data": "SUQz", "mime_type": "audio/mp3"}}]
    with pytest.raises(EmbedError, match="nothing to search"):
        make().embed_query(Query())


# --- Batch API --------------------------------------------------------------------------


def test_batch_requests_are_keyed_lines_of_an_input_file(
    make: Make, gemini_server: FakeGemini
) -> None:
    pieces = [note(i) for i in range(3)]
    embedder = make()
    [job] = embedder.submit_batch([(f"key-{i}", p) for i, p in enumerate(pieces)])

    [create] = gemini_server.recorded(":asyncBatchEmbedContent")
    source = create.body["batch"]["inputConfig"]
    file_id = source["file_name"].removeprefix("files/")
    lines = [json.loads(x) for x in gemini_server.files[file_id]["data"].splitlines()]
    assert [x["key"] for x in lines] == ["key-0", "key-1", "key-2"]
    assert [texts(x["request"]["content"]) for x in lines] == [
        [f"title: Note {i} | text: body of note {i}"] for i in range(3)
    ]
    assert all(x["request"]["output_dimensionality"] == 768 for x in lines)
    assert embedder.poll_batch(job["name"]) is None  # running
    result = embedder.poll_batch(job["name"])
    assert result is not None and not result.ended
    online = embedder.embed_documents(pieces)
    for i in range(3):
        np.testing.assert_allclose(result.vectors[f"key-{i}"], online[i], atol=1e-6)


def test_batch_results_are_matched_by_key_out_of_order_with_gaps(
    make: Make, gemini_server: FakeGemini
) -> None:
    gemini_server.batch_shuffle = True
    gemini_server.batch_drop = {1}
    gemini_server.batch_fail = {4}
    pieces = [note(i) for i in range(8)]
    embedder = make()
    [job] = embedder.submit_batch([(f"k{i}", p) for i, p in enumerate(pieces)])
    embedder.poll_batch(job["name"])
    result = make().poll_batch(job["name"])  # another provider: nothing in memory
    assert result is not None
    assert set(result.vectors) == {f"k{i}" for i in (0, 2, 3, 5, 6, 7)}
    assert "injected failure" in result.errors["k4"]
    online = embedder.embed_documents(pieces)
    for key, vector in result.vectors.items():
        np.testing.assert_allclose(vector, online[int(key[1:])], atol=1e-6)


def test_a_failed_batch_job_ends_without_vectors(make: Make, gemini_server: FakeGemini) -> None:
    gemini_server.fail_batches = True
    embedder = make()
    [job] = embedder.submit_batch([("k", note(1))])

    assert embedder.poll_batch(job["name"]) is None
    result = embedder.poll_batch(job["name"])
    assert result is not None and "FAILED" in result.ended and result.vectors == {}


def test_a_vanished_batch_job_is_not_blamed_on_the_model_or_key(make: Make) -> None:
    result = make().poll_batch("batches/nope")
    assert result is not None and result.vectors == {}
    assert "batch job no longer exists" in result.ended
    assert "model" not in result.ended and "key" not in result.ended


def test_a_vanished_upload_is_not_blamed_on_the_model_or_key(make: Make) -> None:
    embedder = make()
    client = embedder._client()
    with pytest.raises(EmbedError) as caught:
        embedder._call(lambda: client.files.get(name="files/nope"), "file")
    assert "uploaded file no longer exists" in str(caught.value)
    assert not caught.value.fatal and "model" not in str(caught.value)


# --- wiring and the fake ----------------------------------------------------------------


def test_the_registry_builds_a_provider_that_meets_the_protocol(
    gemini_server: FakeGemini,
) -> None:
    provider = embed.create("gemini", base_url=gemini_server.base_url, dims=3072)
    try:
        assert isinstance(provider, Embedder)
        assert (provider.provider, provider.model_id, provider.dims) == (
            "gemini",
            "gemini-embedding-2",
            3072,
        )
        assert provider.modalities == {"text", "image", "pdf", "audio", "video"}
        assert 0 < provider.score_floor < 1
    finally:
        assert isinstance(provider, GeminiEmbedder)
        provider.close()


def test_the_fake_reads_both_part_spellings_and_generates(gemini_server: FakeGemini) -> None:
    from google import genai
    from google.genai import types

    snake = {"parts": [{"inline_data": {"mime_type": "image/png", "data": "AA=="}}]}
    camel = {"parts": [{"inlineData": {"mimeType": "image/png", "data": "AA=="}}]}
    assert content_vector(snake, 8) == content_vector(camel, 8)

    options = types.HttpOptions(base_url=gemini_server.base_url, api_version="v1beta")
    with genai.Client(api_key=API_KEY, http_options=options) as client:
        response = client.models.generate_content(model="gemini-3-flash", contents="hello")
    assert response.text == gemini_server.generate_text


def test_creating_the_provider_does_not_import_the_sdk() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from core.embed.gemini import GeminiEmbedder; GeminiEmbedder(); "
        "assert 'google.genai' not in sys.modules, 'SDK imported eagerly'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


def test_a_quota_is_paced_by_its_retry_delay_and_concurrency_adapts(
    make: Make, gemini_server: FakeGemini
) -> None:
    import time

    # A tiny quota with a short window: the calls run into it and must wait it out.
    gemini_server.quota_window_s = 0.3
    pieces = [note(i, "word " * 40) for i in range(120)]
    per_call = sum(len(f"title: Note {i} | text: " + "word " * 40) // 4 + 1 for i in range(10))
    gemini_server.quota_tokens_per_min = per_call * 2  # two calls of ten fit a window
    embedder = make(batch_size=10, concurrency=4, sleep=time.sleep)
    vectors = embedder.embed_documents(pieces)

    assert vectors.shape == (120, 768)  # every piece, none failed for the quota
    assert gemini_server.quota_refusals > 0
    assert embedder.gate.lowest < 4  # it backed off
    answered = [r for r in gemini_server.recorded() if r.body]
    assert len(answered) >= 12


def test_the_gate_halves_on_a_429_and_creeps_back_up() -> None:
    waits: list[float] = []
    gate = Gate(8, waits.append)
    gate.throttled(2.0)
    gate.throttled(2.0)
    assert gate.limit == 2.0
    with gate:  # held for the service's delay first
        pass
    assert waits and 1.5 < waits[0] <= 2.0
    for _ in range(3):
        gate.passed()
    assert 2.0 < gate.limit < 4.0  # about one more per round of calls, not all at once
    for _ in range(100):
        gate.passed()
    assert gate.limit == 8.0
