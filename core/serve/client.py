"""A client of the resident engine: connect, check it serves what we would open, call.

Never takes the writer lock and never opens the index. ``connect()`` returns None when no
engine runs for this data folder, or when the one that runs has other settings, another
index or another protocol — the caller then opens the index itself, so answers are the
same either way.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

from core.serve import address, protocol

CONNECT_TIMEOUT = 2.0  # s for the hello: a live server answers it in microseconds
CALL_TIMEOUT = 600.0  # s for a call: a search by a long PDF or video embeds it first


class Client:
    """One connection to the engine's socket; calls are answered in order."""

    def __init__(self, sock: socket.socket, path: Path) -> None:
        self.sock = sock
        self.path = path
        self.reader = protocol.LineReader(sock, protocol.MAX_REPLY)
        self._id = 0
        self.info: dict[str, Any] = {}

    def call(self, method: str, timeout: float = CALL_TIMEOUT, **params: Any) -> Any:
        """The result of ``method``; RemoteError for an error reply, ProtocolError/OSError
        when the connection breaks."""
        self._id += 1
        self.sock.settimeout(timeout)
        self.sock.sendall(protocol.request(method, params, self._id))
        line = self.reader.read()
        if line is None:
            raise protocol.ProtocolError("the engine closed the connection")
        return protocol.parse_reply(line, self._id)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(data: Path, settings_file: Path | None = None) -> Client | None:
    """A client of the engine serving ``data`` with the settings in ``settings_file``, or None."""
    if not hasattr(socket, "AF_UNIX"):
        return None
    try:
        folder = address.private_dir(create=False)
    except (OSError, address.AddressError):
        return None
    path = folder / address.socket_path(data).name
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(CONNECT_TIMEOUT)
        sock.connect(os.fspath(path))
        client = Client(sock, path)
        info = client.call("hello", timeout=CONNECT_TIMEOUT)
    except (OSError, protocol.ProtocolError, protocol.RemoteError):
        sock.close()  # none there, a stale socket, or one still opening its engine
        return None
    if not _same(info, data, settings_file):
        sock.close()
        return None
    client.info = info
    return client


def _same(info: Any, data: Path, settings_file: Path | None) -> bool:
    """Whether the served engine is the one this process would open itself."""
    if not isinstance(info, dict) or info.get("protocol") != protocol.PROTOCOL:
        return False
    if info.get("data") != os.path.realpath(data) or not info.get("current"):
        return False
    if settings_file is not None:
        if info.get("settings") != os.path.realpath(settings_file):
            return False
        from core.config import Settings

        try:
            mine = Settings.load(settings_file)
        except Exception:  # a broken file: in-process says so, in its own words
            return False
        # Settings changed since the engine opened (folders, provider …): its answers would differ.
        if info.get("settings_fingerprint") != protocol.settings_fingerprint(mine):
            return False
    return True
