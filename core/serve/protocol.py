"""The wire format between Loci's resident engine and its clients: JSON-RPC 2.0, one line each.

Each request and each reply is one JSON object on one line (JSON escapes newlines inside
strings, so a raw ``\\n`` always ends a message). A connection carries any number of
requests, answered in order. ``hello`` says which protocol, index and settings the server
has, so a client that would see something else falls back to opening the index itself.

Imports nothing heavy: a client that only prints answers must start in milliseconds.
"""

from __future__ import annotations

import json
import socket
from typing import TYPE_CHECKING, Any, cast

from core.errors import LociError

if TYPE_CHECKING:
    from core.model import Locator

# Bumped on any incompatible change of a method's params or result; clients refuse others.
PROTOCOL = 1
MAX_REQUEST = 1 << 20  # bytes; a search request is a few hundred
MAX_REPLY = 256 << 20  # bytes a client accepts (a status or a long errors list stays far below)

# JSON-RPC 2.0's own codes.
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
# Loci's: the message is the one line the command line prints ("loci: …", exit 1).
USER_ERROR = 1
NOT_INDEXED = 2  # recall or fetch of a path the index does not hold


class ProtocolError(LociError):
    """A message that is not JSON-RPC, or a connection that broke mid-message."""


class TooLarge(ProtocolError):
    pass


class RemoteError(LociError):
    """An error reply: ``code`` from the table above, ``message`` for the user."""

    def __init__(self, code: int, message: str, data: Any = None, request_id: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.data = data
        self.request_id = request_id  # of the request it answers, when known


def encode(message: dict[str, Any]) -> bytes:
    # ensure_ascii keeps every byte < 0x80: surrogate-escaped names cannot break the line.
    return json.dumps(message, ensure_ascii=True, separators=(",", ":")).encode() + b"\n"


def request(method: str, params: dict[str, Any] | None, id_: int) -> bytes:
    return encode({"jsonrpc": "2.0", "method": method, "params": params or {}, "id": id_})


def result(id_: Any, value: Any) -> bytes:
    return encode({"jsonrpc": "2.0", "result": value, "id": id_})


def error(id_: Any, code: int, message: str, data: Any = None) -> bytes:
    err: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        err["data"] = data
    return encode({"jsonrpc": "2.0", "error": err, "id": id_})


class LineReader:
    """Reads newline-ended messages from a socket, refusing any longer than ``limit``.

    A too-long line is read to its end and thrown away (``TooLarge``), so the next
    message on the connection is still understood.
    """

    def __init__(self, sock: socket.socket, limit: int) -> None:
        self.sock = sock
        self.limit = limit
        self.buf = bytearray()

    def read(self) -> bytes | None:
        """The next message without its newline; None at a clean end of the connection."""
        while True:
            nl = self.buf.find(b"\n")
            if nl > self.limit:
                del self.buf[: nl + 1]
                raise TooLarge(f"message longer than {self.limit:,} bytes")
            if nl >= 0:
                line = bytes(self.buf[:nl])
                del self.buf[: nl + 1]
                return line
            if len(self.buf) > self.limit:
                self._discard_line()
                raise TooLarge(f"message longer than {self.limit:,} bytes")
            chunk = self.sock.recv(65536)
            if not chunk:
                if self.buf:
                    raise ProtocolError("connection closed mid-message")
                return None
            self.buf += chunk

    def _discard_line(self) -> None:
        self.buf.clear()
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ProtocolError("connection closed mid-message")
            nl = chunk.find(b"\n")
            if nl >= 0:
                self.buf += chunk[nl + 1 :]
                return


def parse_request(line: bytes) -> tuple[Any, str, dict[str, Any]]:
    """(id, method, params) of a request; RemoteError (with the id, if any) when malformed."""
    try:
        msg = json.loads(line)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RemoteError(PARSE_ERROR, f"not JSON: {exc}") from None
    if not isinstance(msg, dict):
        raise RemoteError(INVALID_REQUEST, "a request is a JSON object")
    id_ = msg.get("id")
    if msg.get("jsonrpc") != "2.0" or not isinstance(msg.get("method"), str):
        raise RemoteError(
            INVALID_REQUEST, 'a request needs "jsonrpc": "2.0" and a "method"', request_id=id_
        )
    params = msg.get("params", {})
    if not isinstance(params, dict):
        raise RemoteError(INVALID_PARAMS, "params must be an object (by name)", request_id=id_)
    return id_, msg["method"], params


def parse_reply(line: bytes, id_: int) -> Any:
    try:
        msg = json.loads(line)
    except ValueError as exc:
        raise ProtocolError(f"the engine sent something that is not JSON: {exc}") from None
    if not isinstance(msg, dict) or msg.get("id") != id_:
        raise ProtocolError("the engine's reply does not answer the request")
    if "error" in msg:
        err = msg["error"] or {}
        code = err.get("code", INTERNAL_ERROR)
        raise RemoteError(
            int(code) if isinstance(code, int) else INTERNAL_ERROR,
            str(err.get("message", "")),
            err.get("data"),
        )
    return msg.get("result")


# ---- values on the wire ----

# The settings an engine is built from; the app reopens its engine when one of them changes.
ENGINE_KEYS = ("folders", "excludes", "provider", "dims", "model", "local_only", "gemini_base_url")


def settings_fingerprint(settings: Any) -> str:
    """A digest of the settings that shape an engine: equal digests, equal answers."""
    import hashlib

    values = {k: getattr(settings, k, None) for k in ENGINE_KEYS}
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:32]


def hit_to_wire(hit: Any) -> dict[str, Any]:
    """Every field of a ``core.model.Hit``, unrounded, so the client prints the very same."""
    return {
        "path": hit.path,
        "kind": hit.kind,
        "score": float(hit.score),
        "title": hit.title,
        "snippet": hit.snippet,
        "locator": hit.locator,
        "modified": float(hit.modified),
        "piece": int(hit.piece),
        "piece_id": hit.piece_id,
        "matched_terms": list(hit.matched_terms),
    }


def hit_from_wire(data: dict[str, Any]) -> Any:
    from core.model import Hit

    return Hit(
        path=data["path"],
        kind=data["kind"],
        score=float(data["score"]),
        title=data["title"],
        snippet=data["snippet"],
        locator=cast("Locator", data.get("locator") or {}),
        modified=float(data["modified"]),
        piece=int(data.get("piece", 0)),
        piece_id=data.get("piece_id", ""),
        matched_terms=list(data.get("matched_terms", [])),
    )
