"""The resident engine's server: answers JSON-RPC requests over a Unix socket.

It serves whatever engine its host has open (``engine()`` may return None while the app
reopens one; requests then get a "still opening" error). One thread accepts, one thread
per connection reads requests and answers them in order; a bad request gets an error reply
and the connection goes on, a client that vanishes mid-reply only ends its own thread.
The server never writes to the index: the host's sync does, under the writer lock.
"""

from __future__ import annotations

import inspect
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from core import __version__
from core.errors import LociError
from core.model import FAILED_OR_PENDING
from core.serve import address, protocol
from core.serve.protocol import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    METHOD_NOT_FOUND,
    NOT_INDEXED,
    USER_ERROR,
    RemoteError,
)

log = logging.getLogger(__name__)

MAX_CLIENTS = 32
IDLE_TIMEOUT = 120.0  # s a connection may sit without sending a request
STOP_WAIT = 10.0  # s stop() waits for the requests being answered


class AlreadyServing(LociError):
    """Another process serves this data folder already."""


def supported() -> bool:
    return sys.platform != "win32" and hasattr(socket, "AF_UNIX")


class EngineServer:
    """Serves ``engine()`` on the data folder's socket until ``stop()``.

    Args:
        engine: returns the open Engine, or None while there is none (being reopened).
        data: the data folder (names the socket).
        sync_state: returns the host's sync state (idle, scanning, indexing …) for status.
    """

    def __init__(
        self,
        engine: Callable[[], Any],
        data: Path,
        *,
        sync_state: Callable[[], str] | None = None,
        max_request: int = protocol.MAX_REQUEST,
    ) -> None:
        self._engine = engine
        self.data = Path(data)
        self._sync_state = sync_state
        self.max_request = max_request
        self.path = address.socket_path(self.data)
        self._listener: socket.socket | None = None
        self._lock_file: Any = None
        self._conns: set[socket.socket] = set()
        self._workers: set[threading.Thread] = set()  # joined at stop: none is left in the store
        self._guard = threading.Lock()
        self._slots = threading.BoundedSemaphore(MAX_CLIENTS)
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.requests = 0  # answered, for tests and the log
        self._inode = -1

    # ---- life ----

    def start(self) -> None:
        """Listen (AlreadyServing if another Loci serves this data folder, OSError if no socket)."""
        import fcntl

        address.private_dir(create=True)
        lock = open(address.lock_path(self.data), "a+")  # noqa: SIM115 - held while serving
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.seek(0)
            pid = lock.read().strip()
            lock.close()
            raise AlreadyServing(
                f"another Loci (pid {pid or '?'}) already serves this index on {self.path}"
            ) from None
        try:
            # We hold the lock: a socket file left here is a dead server's, never a live one's.
            self.path.unlink(missing_ok=True)
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            old = os.umask(0o177)  # born 0600: no moment where another user may connect
            try:
                listener.bind(os.fspath(self.path))
            finally:
                os.umask(old)
            os.chmod(self.path, 0o600)
            self._inode = os.stat(self.path).st_ino
            listener.listen(64)
        except BaseException:
            lock.close()
            raise
        lock.seek(0)
        lock.truncate()
        lock.write(str(os.getpid()))
        lock.flush()
        self._lock_file = lock
        self._listener = listener
        self._thread = threading.Thread(target=self._accept, name="loci-serve", daemon=True)
        self._thread.start()
        log.info("serving the engine on %s", self.path)

    def stop(self) -> None:
        self._stopping.set()
        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                # Only our own socket file: a later server may have replaced it.
                if os.stat(self.path).st_ino == self._inode:
                    self.path.unlink()
            except OSError:
                pass
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
        with self._guard:
            conns = list(self._conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(5)
        # A request being answered finishes first: a thread left inside LanceDB's native code
        # while the interpreter shuts down can abort the process.
        deadline = time.monotonic() + STOP_WAIT
        with self._guard:
            workers = list(self._workers)
        for w in workers:
            w.join(max(0.0, deadline - time.monotonic()))
        if self._lock_file is not None:
            self._lock_file.close()  # drops the flock
            self._lock_file = None

    def __enter__(self) -> EngineServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- connections ----

    def _accept(self) -> None:
        listener = self._listener
        assert listener is not None
        while not self._stopping.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                if self._stopping.is_set():
                    return
                time.sleep(0.05)  # EMFILE and friends: breathe, then go on
                continue
            if not self._slots.acquire(blocking=False):
                self._send(conn, protocol.error(None, INTERNAL_ERROR, "too many clients"))
                conn.close()
                continue
            worker = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            with self._guard:
                self._workers.add(worker)
            worker.start()

    def _serve(self, conn: socket.socket) -> None:
        with self._guard:
            self._conns.add(conn)
        try:
            conn.settimeout(IDLE_TIMEOUT)
            reader = protocol.LineReader(conn, self.max_request)
            while not self._stopping.is_set():
                try:
                    line = reader.read()
                except protocol.TooLarge as exc:
                    if not self._send(
                        conn, protocol.error(None, protocol.INVALID_REQUEST, str(exc))
                    ):
                        return
                    continue
                except (protocol.ProtocolError, OSError):
                    return  # closed mid-message, timed out or reset: nothing to answer
                if line is None:
                    return
                if not line.strip():
                    continue
                if not self._send(conn, self.answer(line)):
                    return  # the client went away mid-reply
        finally:
            with self._guard:
                self._conns.discard(conn)
                self._workers.discard(threading.current_thread())
            conn.close()
            self._slots.release()

    @staticmethod
    def _send(conn: socket.socket, data: bytes) -> bool:
        try:
            conn.sendall(data)
            return True
        except OSError:
            return False

    # ---- requests ----

    def answer(self, line: bytes) -> bytes:
        """The reply line to one request line; never raises."""
        id_: Any = None
        try:
            id_, method, params = protocol.parse_request(line)
            handler = getattr(self, f"rpc_{method}", None)
            if handler is None:
                raise RemoteError(METHOD_NOT_FOUND, f"no method {method!r}")
            try:
                inspect.signature(handler).bind(**params)
            except TypeError as exc:  # unknown or missing params
                raise RemoteError(INVALID_PARAMS, f"{method}: {exc}") from None
            value = handler(**params)
        except RemoteError as exc:
            return protocol.error(
                id_ if exc.request_id is None else exc.request_id, exc.code, str(exc)
            )
        except Exception as exc:
            code, message = _classify(exc)
            if code == INTERNAL_ERROR:
                log.exception("request failed")
            return protocol.error(id_, code, message)
        self.requests += 1
        return protocol.result(id_, value)

    def engine(self) -> Any:
        engine = self._engine()
        if engine is None:
            raise RemoteError(USER_ERROR, "the engine is still opening; try again in a moment")
        return engine

    def rpc_hello(self) -> dict[str, Any]:
        from core.config import settings_path
        from core.store import current_identity

        engine = self.engine()
        ident = engine.store.ident
        return {
            "protocol": protocol.PROTOCOL,
            "loci": __version__,
            "pid": os.getpid(),
            "data": os.path.realpath(engine.data),
            "settings": os.path.realpath(settings_path()),
            "settings_fingerprint": protocol.settings_fingerprint(engine.settings),
            "identity": ident.__dict__,
            "current": ident == current_identity(engine.data),
        }

    def rpc_search(
        self,
        text: str = "",
        files: list[str] | None = None,
        kinds: list[str] | None = None,
        folder: str = "",
        since: float = 0.0,
        limit: int = 10,
    ) -> dict[str, Any]:
        from core.search import Filters

        engine = self.engine()
        _check(isinstance(text, str) and isinstance(limit, int) and 0 < limit <= 1000, "bad limit")
        filters = Filters(kinds=list(kinds or ()), folder=folder or "", since=float(since or 0))
        hits = engine.searcher().search(
            text, files=[Path(f) for f in files or ()], filters=filters, limit=limit
        )
        out: dict[str, Any] = {"hits": [protocol.hit_to_wire(h) for h in hits]}
        if not hits:
            out["counts"] = engine.store.counts()
        return out

    def rpc_recall(
        self, path: str | None = None, text: str = "", limit: int = 10
    ) -> dict[str, Any]:
        engine = self.engine()
        _check(isinstance(limit, int) and 0 < limit <= 1000, "bad limit")
        try:
            if path is not None:
                hits = engine.searcher().recall(path=str(path), limit=limit)
            else:
                hits = engine.searcher().recall(text=text, limit=limit)
        except KeyError:
            raise RemoteError(NOT_INDEXED, f"{path} is not in the index") from None
        return {"hits": [protocol.hit_to_wire(h) for h in hits]}

    def rpc_status(self, sync: bool = False) -> dict[str, Any]:
        """``engine.status()``; with ``sync``, also the host's sync state (idle, indexing …)."""
        st = self.engine().status()
        if sync:
            st = replace(st, sync=self._sync_state() if self._sync_state else "unknown")
        return st.as_dict()

    def rpc_counts(self) -> dict[str, int]:
        return dict(self.engine().store.counts())

    def rpc_errors(self) -> list[dict[str, str]]:
        rows = [f for f in self.engine().store.files().values() if f.status in FAILED_OR_PENDING]
        rows.sort(key=lambda f: f.path)
        return [{"path": f.path, "status": f.status, "error": f.error} for f in rows]

    def rpc_pieces(self, path: str) -> list[dict[str, Any]]:
        """Every stored piece of one file, in order (for reading a hit in full)."""
        return pieces_of(self.engine(), path)


def pieces_of(engine: Any, path: str) -> list[dict[str, Any]]:
    from lancedb.expr import col, lit

    rows = (
        engine.store.pieces.search()
        .where(col("path") == lit(path))
        .select(["id", "path", "piece", "kind", "title", "text", "locator", "mtime"])
        .limit(None)
        .to_arrow()
        .to_pylist()
    )
    if not rows:
        raise RemoteError(NOT_INDEXED, f"{path} is not in the index")
    import json

    for r in rows:
        r["locator"] = json.loads(r["locator"] or "{}")
    return sorted(rows, key=lambda r: r["piece"])


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise RemoteError(INVALID_PARAMS, message)


def _classify(exc: Exception) -> tuple[int, str]:
    """The code and one-line message the command line would print for ``exc``."""
    if isinstance(exc, LociError):  # Loci's own: the message is the user's line
        return USER_ERROR, str(exc)
    if isinstance(exc, ValueError):
        return INVALID_PARAMS, str(exc)
    return INTERNAL_ERROR, f"{type(exc).__name__}: {exc}"
