"""What the commands and ``loci mcp`` ask the engine, answered by the resident one or in-process.

``open_backend()`` connects to the engine served for this data folder when one runs (see
``core.serve.client``) and otherwise opens the index in this process. Both answer with the
same ``Hit`` and ``EngineStatus`` objects and dicts, so what a command prints does not depend
on which answered.
A resident engine that goes away mid-call is replaced by an in-process one, once.
``LOCI_NO_SERVER=1`` forces the in-process engine (benchmarks, comparisons).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from core.errors import LociError
from core.model import FAILED_OR_PENDING, EngineStatus
from core.serve import protocol
from core.serve.protocol import NOT_INDEXED, USER_ERROR, RemoteError


class EngineError(LociError):
    """The engine refused or failed a request; the message is one line for the user."""


class LocalBackend:
    """The index opened in this process (readers only: never the writer lock)."""

    remote = False

    def __init__(self, make_engine: Callable[[], Any]) -> None:
        self._make = make_engine
        self._engine: Any = None

    @property
    def engine(self) -> Any:
        if self._engine is None:
            self._engine = self._make()
        return self._engine

    def search(
        self,
        text: str = "",
        *,
        files: Sequence[Path] = (),
        kinds: Sequence[str] = (),
        folder: str = "",
        since: float = 0.0,
        limit: int = 10,
    ) -> list[Any]:
        from core.search import Filters

        filters = Filters(kinds=list(kinds), folder=folder, since=since)
        return self.engine.searcher().search(  # type: ignore[no-any-return]
            text, files=list(files), filters=filters, limit=limit
        )

    def recall(self, path: str | None = None, *, text: str = "", limit: int = 10) -> list[Any]:
        """KeyError when ``path`` is not in the index."""
        searcher = self.engine.searcher()
        if path is not None:
            return searcher.recall(path=path, limit=limit)  # type: ignore[no-any-return]
        return searcher.recall(text=text, limit=limit)  # type: ignore[no-any-return]

    def counts(self) -> dict[str, int]:
        return dict(self.engine.store.counts())

    def status(self) -> EngineStatus:
        status: EngineStatus = self.engine.status()
        return status

    def errors(self) -> list[dict[str, str]]:
        rows = [f for f in self.engine.store.files().values() if f.status in FAILED_OR_PENDING]
        rows.sort(key=lambda f: f.path)
        from core.scan import display_path

        return [{"path": display_path(f.path), "status": f.status, "error": f.error} for f in rows]

    def pieces(self, path: str) -> list[dict[str, Any]]:
        """Every stored piece of ``path`` in order; KeyError when it is not in the index."""
        from core.serve.server import pieces_of

        try:
            return pieces_of(self.engine, path)
        except RemoteError:
            raise KeyError(path) from None

    def folders(self) -> list[str]:
        return [str(f) for f in self.engine.folders]

    def close(self) -> None:
        pass


class RemoteBackend:
    """The resident engine, through its socket; falls back to ``fallback()`` if it dies."""

    remote = True

    def __init__(self, client: Any, fallback: Callable[[], LocalBackend]) -> None:
        self.client = client
        self._fallback_factory = fallback
        self._fallback: LocalBackend | None = None

    def _call(self, method: str, **params: Any) -> Any:
        if self._fallback is None:
            try:
                return self.client.call(method, **params)
            except RemoteError as exc:
                if exc.code == NOT_INDEXED:
                    raise KeyError(str(exc)) from None
                if exc.code == USER_ERROR or exc.code < 0 and exc.code != protocol.INTERNAL_ERROR:
                    raise EngineError(str(exc)) from None
                raise EngineError(f"the resident engine failed: {exc}") from None
            except (OSError, protocol.ProtocolError):
                self.client.close()  # it went away (app closed): answer in-process instead
                self._fallback = self._fallback_factory()
        return None

    def search(
        self,
        text: str = "",
        *,
        files: Sequence[Path] = (),
        kinds: Sequence[str] = (),
        folder: str = "",
        since: float = 0.0,
        limit: int = 10,
    ) -> list[Any]:
        reply = self._call(
            "search",
            text=text,
            files=[os.path.abspath(f) for f in files],
            kinds=list(kinds),
            folder=folder,
            since=since,
            limit=limit,
        )
        if self._fallback is not None:
            return self._fallback.search(
                text, files=files, kinds=kinds, folder=folder, since=since, limit=limit
            )
        self._counts = reply.get("counts")
        return [protocol.hit_from_wire(h) for h in reply["hits"]]

    _counts: dict[str, int] | None = None

    def recall(self, path: str | None = None, *, text: str = "", limit: int = 10) -> list[Any]:
        reply = self._call("recall", path=path, text=text, limit=limit)
        if self._fallback is not None:
            return self._fallback.recall(path, text=text, limit=limit)
        return [protocol.hit_from_wire(h) for h in reply["hits"]]

    def counts(self) -> dict[str, int]:
        if self._counts is not None:  # sent with an empty search: no second trip
            return self._counts
        reply = self._call("counts")
        return self._fallback.counts() if self._fallback is not None else dict(reply)

    def status(self, sync: bool = False) -> EngineStatus:
        """As ``loci status``; with ``sync`` also the host's ``sync`` state."""
        reply = self._call("status", sync=sync) if sync else self._call("status")
        if self._fallback is not None:
            return self._fallback.status()
        return EngineStatus.from_dict(reply)

    def errors(self) -> list[dict[str, str]]:
        reply = self._call("errors")
        return self._fallback.errors() if self._fallback is not None else list(reply)

    def pieces(self, path: str) -> list[dict[str, Any]]:
        reply = self._call("pieces", path=path)
        return self._fallback.pieces(path) if self._fallback is not None else list(reply)

    def folders(self) -> list[str]:
        return list(self.status().folders)

    def close(self) -> None:
        self.client.close()


Backend = LocalBackend | RemoteBackend


def open_backend(
    make_engine: Callable[[], Any], *, data: Path | None = None, remote: bool = True
) -> Backend:
    """The resident engine for ``data`` if one serves what ``make_engine`` would open, else
    an in-process backend that calls ``make_engine`` on first use."""
    local = LocalBackend(make_engine)
    if remote and not os.environ.get("LOCI_NO_SERVER"):
        from core.config import data_dir, settings_path
        from core.serve.client import connect

        client = connect(data or data_dir(), settings_path())
        if client is not None:
            return RemoteBackend(client, lambda: local)
    return local
