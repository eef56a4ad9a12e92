"""The resident engine in-process: who may use it, one server per index, stale sockets."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from core.app import Engine
from core.config import Settings, settings_path
from core.serve import address, client
from core.serve.backend import RemoteBackend, open_backend
from core.serve.server import AlreadyServing, EngineServer
from tests import serve_checks
from tests.helpers import HashEmbedder, write


def connected(*args: object) -> bool:
    conn = client.connect(*args)  # type: ignore[arg-type]
    if conn is None:
        return False
    conn.close()
    return True


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    root = tmp_path / "notes"
    write(root / "cats.md", "# Cats\nMiso the tabby cat sleeps on the sofa\n")
    write(root / "bread.md", "# Bread\nFeed the sourdough starter before baking\n")
    settings = Settings(folders=[str(root)])
    settings.save()
    engine = Engine(settings, data=tmp_path / "data", embedder=HashEmbedder())
    for _ in engine.index():
        pass
    return engine


def test_clients_use_the_engine_only_while_it_serves_what_they_would_open(engine, tmp_path):
    data = engine.data
    with EngineServer(lambda: engine, data) as server:
        serve_checks.check_private(server.path)
        conn = client.connect(data, settings_path())
        assert conn is not None
        with conn:
            hits = conn.call("search", text="tabby cat", limit=3)["hits"]
        assert hits[0]["path"].endswith("cats.md")
        backend = open_backend(lambda: pytest.fail("opened in-process"), data=data)
        assert isinstance(backend, RemoteBackend)
        assert [h.path for h in backend.search("tabby cat", limit=3)] == [h["path"] for h in hits]
        backend.close()

        # a setting that does not shape the engine changes nothing …
        changed = Settings.load()
        changed.theme = "dark"
        changed.save()
        assert connected(data, settings_path())
        # … one that does (a folder added by hand) sends clients to the index itself
        changed.folders.append(str(tmp_path / "more"))
        changed.save()
        assert client.connect(data, settings_path()) is None
        # another data folder has its own socket, so no server at all
        assert client.connect(tmp_path / "other-data", settings_path()) is None


def test_no_engine_yet_means_no_server_to_use(engine):
    current = [None]
    with EngineServer(lambda: current[0], engine.data):
        assert client.connect(engine.data) is None  # "still opening": in-process instead
        current[0] = engine
        assert connected(engine.data)


def test_one_server_per_index_and_a_dead_ones_socket_is_replaced(engine):
    first = EngineServer(lambda: engine, engine.data)
    first.start()
    with pytest.raises(AlreadyServing):
        EngineServer(lambda: engine, engine.data).start()
    first.stop()
    assert not first.path.exists()
    # a killed server leaves its socket file: nobody listens on it
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(address.socket_path(engine.data)))
    stale.close()
    assert client.connect(engine.data) is None
    with EngineServer(lambda: engine, engine.data):
        assert connected(engine.data)


def test_an_engine_being_rebuilt_is_not_served_as_the_current_index(engine, tmp_path):
    rebuilding = Engine(
        engine.settings, data=engine.data, embedder=HashEmbedder(dims=32), rebuild=True
    )
    with EngineServer(lambda: rebuilding, engine.data):
        assert client.connect(engine.data) is None


def test_a_too_long_line_is_refused_whole_and_the_next_one_is_read():
    from core.serve import protocol

    a, b = socket.socketpair()
    with a, b:
        reader = protocol.LineReader(b, limit=100)
        a.sendall(b"x" * 150 + b"\n" + b'{"ok": 1}\n')
        with pytest.raises(protocol.TooLarge):
            reader.read()
        assert reader.read() == b'{"ok": 1}'
        # longer than a socket buffer: written from a thread while the reader reads
        sender = threading.Thread(target=a.sendall, args=(b"y" * 300_000 + b"\n" + b"next\n",))
        sender.start()
        with pytest.raises(protocol.TooLarge):
            reader.read()
        sender.join(30)
        assert reader.read() == b"next"
        a.close()
        assert reader.read() is None


def test_stop_waits_for_the_requests_being_answered(engine):
    """No request is left inside the store when stop() returns (the process may then exit)."""
    started, finished = threading.Event(), threading.Event()

    class Slow(EngineServer):
        def rpc_slow(self) -> str:
            started.set()
            threading.Event().wait(0.5)  # a long read of the index
            finished.set()
            return "done"

    server = Slow(lambda: engine, engine.data)
    server.start()
    sock = serve_checks.raw(server.path)
    from core.serve import protocol

    sock.sendall(protocol.request("slow", {}, 1))
    assert started.wait(10)
    server.stop()
    assert finished.is_set()
    sock.close()
