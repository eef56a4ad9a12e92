"""The app hosts the resident engine: clients are answered by the window's own engine."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.serve import address, client
from desktop.serving import EngineHost
from tests import serve_checks
from tests.helpers import write


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="lr", dir="/tmp"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_the_apps_engine_answers_clients_and_survives_bad_ones(
    make_window, corpus, tmp_path, qtbot, runtime
):
    body = "\n\n".join(
        f"## Day {i}\n" + "The keeper wrote in the logbook. " * 40 for i in range(500)
    )
    write(corpus / "archive" / "journal.md", "# Journal\n" + body)
    window = make_window([corpus], threads=True)
    data = tmp_path / "data"
    host = EngineHost(window.bridge, data)
    qtbot.waitUntil(lambda: window.bridge.engine is not None, timeout=60000)
    qtbot.waitUntil(
        lambda: window.bridge.engine.store.counts()["files"] >= 8 and not window.bridge.indexing,
        timeout=60000,
    )
    qtbot.waitUntil(lambda: host.server is not None, timeout=30000)
    sock = address.socket_path(data)
    serve_checks.check_private(sock)

    # a client sees the window's own engine, and the same hits the window's search finds
    conn = client.connect(data)
    assert conn is not None
    with conn:
        hits = conn.call("search", text="lighthouse keeper", limit=5)["hits"]
    engine = window.bridge.engine
    mine = engine.searcher().search("lighthouse keeper", limit=5)
    assert [h["path"] for h in hits] == [h.path for h in mine]
    assert hits and hits[0]["snippet"]

    serve_checks.check_bad_requests(sock)
    serve_checks.check_concurrent(sock, "lighthouse keeper")
    serve_checks.check_disconnect_mid_reply(sock, str(corpus / "archive" / "journal.md"))

    host.stop()
    assert not sock.exists()
    assert client.connect(data) is None
    window.close()
