"""Checks every host of the resident engine must pass (``loci serve`` and the app alike)."""

from __future__ import annotations

import json
import os
import socket
import stat
import threading
from pathlib import Path
from typing import Any

from core.serve import protocol


def raw(path: Path, timeout: float = 60.0) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(os.fspath(path))
    return s


def exchange(sock: socket.socket, data: bytes, reader: protocol.LineReader | None = None) -> Any:
    sock.sendall(data)
    line = (reader or protocol.LineReader(sock, protocol.MAX_REPLY)).read()
    assert line is not None, "the server closed the connection instead of answering"
    return json.loads(line)


def call(sock_path: Path, method: str, **params: Any) -> Any:
    with raw(sock_path) as s:
        reply = exchange(s, protocol.request(method, params, 1))
    assert "result" in reply, reply
    return reply["result"]


def check_private(path: Path) -> None:
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def check_bad_requests(path: Path) -> None:
    """Malformed, invalid and oversized requests get error replies on a connection that lives."""
    with raw(path) as s:
        reader = protocol.LineReader(s, protocol.MAX_REPLY)
        cases = [
            (b"{not json\n", protocol.PARSE_ERROR),
            (b"[1, 2, 3]\n", protocol.INVALID_REQUEST),
            (b'{"method": "search", "id": 7}\n', protocol.INVALID_REQUEST),
            (b"\xff\xfe\x00garbage\n", protocol.PARSE_ERROR),
            (protocol.request("no_such_method", {}, 8), protocol.METHOD_NOT_FOUND),
            (protocol.request("search", {"nonsense": 1}, 9), protocol.INVALID_PARAMS),
            (protocol.request("search", {"text": "x", "limit": -5}, 10), protocol.INVALID_PARAMS),
            (b'{"jsonrpc": "2.0", "method": "status", "params": [1], "id": 11}\n', -32602),
        ]
        for data, code in cases:
            reply = exchange(s, data, reader)
            assert reply["error"]["code"] == code, (data[:40], reply)
        # 10 MB in one request: refused, and the connection still answers the next one
        big = protocol.request("search", {"text": "x" * (10 << 20)}, 12)
        reply = exchange(s, big, reader)
        assert reply["error"]["code"] == protocol.INVALID_REQUEST
        assert "longer than" in reply["error"]["message"]
        reply = exchange(s, protocol.request("counts", {}, 13), reader)
        assert reply["id"] == 13 and reply["result"]["files"] > 0


def check_concurrent(path: Path, query: str, clients: int = 8, rounds: int = 5) -> None:
    """Many clients at once, each on its own connection, all get the same right answer."""
    expected = call(path, "search", text=query, limit=5)["hits"]
    assert expected
    answers: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with raw(path) as s:
                reader = protocol.LineReader(s, protocol.MAX_REPLY)
                for i in range(rounds):
                    reply = exchange(
                        s, protocol.request("search", {"text": query, "limit": 5}, i), reader
                    )
                    answers.append(reply["result"]["hits"])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert len(answers) == clients * rounds
    assert all(a == expected for a in answers)


def check_disconnect_mid_reply(path: Path, big_file: str) -> None:
    """Clients that hang up while the reply is being written never harm the server."""
    pieces = call(path, "pieces", path=big_file)
    size = len(json.dumps(pieces))
    assert size > 512 << 10, size  # larger than a socket buffer (~200 KB): the server is mid-write
    for _ in range(5):
        s = raw(path)
        s.sendall(protocol.request("pieces", {"path": big_file}, 1))
        assert s.recv(100)  # the reply has started …
        s.close()  # … and the client is gone
    for _ in range(5):
        s = raw(path)
        s.sendall(protocol.request("pieces", {"path": big_file}, 1))
        s.close()  # gone before the reply starts
    s = raw(path)
    s.sendall(b'{"jsonrpc": "2.0", "method": "sta')  # and one mid-request
    s.close()
    assert call(path, "counts")["files"] > 0
