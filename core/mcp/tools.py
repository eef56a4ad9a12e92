"""What ``loci mcp``'s tools do, without the MCP SDK: search, fetch, related, status.

Every answer is checked against Loci's folders after resolving links, so nothing outside
them is ever returned, and every hit from a local-only folder says so. Hits carry a
``loci://`` URI (the file's path, URL-quoted, and the piece after ``#``) that ``fetch`` and
``related`` take back, as they take a plain path.
"""

from __future__ import annotations

import base64
import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from core.errors import CliError, LociError
from core.model import KINDS, Locator, locator_text
from core.user_args import parse_since

SCHEME = "loci://"
IMAGE_SIZE = 512  # px on the long side: enough to see, cheap in an agent's context
MAX_TEXT = 100_000  # characters of one fetch; the rest is cut with a note


class Refused(LociError):
    """A request the tools will not answer (outside the folders, not in the index …)."""


def uri(path: str, piece: int) -> str:
    return f"{SCHEME}{quote(path)}#{piece}"


def parse(uri_or_path: str) -> tuple[str, int | None]:
    """(absolute path, piece or None) of a ``loci://`` URI or a path."""
    text = uri_or_path.strip()
    if text.startswith(SCHEME):
        rest, _, frag = text[len(SCHEME) :].partition("#")
        path = unquote(rest)
        piece = int(frag) if frag.isdigit() else None
    else:
        path, piece = os.path.expanduser(text), None
    if not os.path.isabs(path):
        raise Refused(f"not an absolute path or a {SCHEME} URI: {uri_or_path!r}")
    return os.path.abspath(path), piece


class Tools:
    """The tools over a backend (resident or in-process) opened by ``open()`` behind them."""

    def __init__(self, open_backend: Callable[[], Any], settings: Callable[[], Any]) -> None:
        self._open = open_backend
        self._settings = settings
        self._backend: Any = None
        self._error: BaseException | None = None
        self._ready = threading.Event()

    def start(self) -> None:
        """Open the engine on a thread: the MCP handshake is answered meanwhile."""
        threading.Thread(target=self._load, name="loci-mcp-open", daemon=True).start()

    def _load(self) -> None:
        try:
            backend = self._open()
            if not backend.remote:
                from core.serve.host import warm

                warm(backend.engine)
            self._backend = backend
        except BaseException as exc:  # reported to every call, in one line
            self._error = exc
        finally:
            self._ready.set()

    def backend(self, timeout: float = 300.0) -> Any:
        if not self._ready.wait(timeout):
            raise Refused("the index is still opening; try again in a moment")
        if self._error is not None:
            raise Refused(f"the index could not be opened: {self._error}")
        return self._backend

    # ---- folders ----

    def _roots(self) -> tuple[list[str], list[str]]:
        """Real paths of Loci's folders and of its local-only folders."""
        settings = self._settings()
        folders = [os.path.realpath(f) for f in settings.effective_folders()]
        local = [os.path.realpath(os.path.expanduser(f)) for f in settings.local_only]
        return folders, local

    @staticmethod
    def _inside(real: str, roots: list[str]) -> bool:
        return any(real == r or real.startswith(r.rstrip(os.sep) + os.sep) for r in roots)

    def _check(self, path: str, roots: tuple[list[str], list[str]] | None = None) -> bool:
        """True if ``path`` is in a local-only folder; Refused when outside Loci's folders."""
        folders, local = roots or self._roots()
        real = os.path.realpath(path)  # a link inside a folder may point anywhere
        if not (self._inside(real, folders) and self._inside(os.path.abspath(path), folders)):
            raise Refused(f"{path} is outside Loci's folders")
        return self._inside(real, local) or self._inside(os.path.abspath(path), local)

    def _hits(self, hits: list[Any]) -> list[dict[str, Any]]:
        out = []
        roots = self._roots()
        for h in hits:
            try:
                local = self._check(h.path, roots)
            except Refused:
                continue  # indexed once, but no longer in a folder Loci serves
            item = {
                "uri": uri(h.path, h.piece),
                "path": h.path,
                "kind": h.kind,
                "score": round(float(h.score), 3),
                "title": h.title,
                "snippet": h.snippet,
                "locator": h.locator,
            }
            if local:
                item["local_only"] = True
            out.append(item)
        return out

    # ---- tools ----

    def search(
        self,
        query: str,
        kind: str | None = None,
        folder: str | None = None,
        since: str | None = None,
        limit: int = 10,
    ) -> dict[str, Any]:
        if not query.strip():
            raise Refused("give a query")
        if kind and kind not in KINDS:
            raise Refused(f"kind must be one of {', '.join(KINDS)}")
        since_ts = 0.0
        if since:
            try:
                since_ts = parse_since(since)
            except CliError as exc:
                raise Refused(str(exc)) from None
        if folder:
            folder = os.path.abspath(os.path.expanduser(folder))
        limit = max(1, min(int(limit), 50))
        hits = self.backend().search(
            query,
            kinds=[kind] if kind else [],
            folder=folder or "",
            since=since_ts,
            limit=limit,
        )
        return {"hits": self._hits(hits)}

    def related(self, uri_or_path: str, limit: int = 10) -> dict[str, Any]:
        path, _piece = parse(uri_or_path)
        self._check(path)
        try:
            hits = self.backend().recall(path, limit=max(1, min(int(limit), 50)))
        except KeyError:
            raise Refused(f"{path} is not in the index") from None
        return {"hits": self._hits(hits)}

    def fetch(self, uri_or_path: str) -> list[dict[str, Any]]:
        """Content blocks as dicts: ``{"type": "text", …}`` and ``{"type": "image", …}``."""
        path, piece = parse(uri_or_path)
        local = self._check(path)
        try:
            pieces = self.backend().pieces(path)
        except KeyError:
            raise Refused(f"{path} is not in the index") from None
        if piece is not None:
            pieces = [p for p in pieces if p["piece"] == piece]
            if not pieces:
                raise Refused(f"{path} has no piece {piece}")
        kind = pieces[0]["kind"]
        head = f"{path} ({kind}{', local only' if local else ''})"
        parts = [head]
        for p in pieces:
            where = locator_text(p["locator"], heading="")
            title = p["title"] + (f" [{where}]" if where else "")
            parts.append(f"## {title}\n{p['text']}")
        text = "\n\n".join(parts)
        if len(text) > MAX_TEXT:
            text = text[:MAX_TEXT] + f"\n\n[cut at {MAX_TEXT:,} characters; fetch one piece by URI]"
        blocks: list[dict[str, Any]] = [{"type": "text", "text": text}]
        if kind in ("image", "pdf", "video"):
            image = self._picture(Path(path), kind, pieces[0]["locator"])
            if image is not None:
                blocks.append(image)
        return blocks

    def _picture(self, path: Path, kind: str, locator: Locator) -> dict[str, Any] | None:
        from core.config import data_dir
        from core.thumbs import thumbnail

        data = thumbnail(path, kind, locator, data_dir() / "thumbnails", size=IMAGE_SIZE)
        if data is None:
            return None
        mime = "image/png" if data[:8] == b"\x89PNG\r\n\x1a\n" else "image/jpeg"
        return {"type": "image", "data": base64.b64encode(data).decode(), "mime_type": mime}

    def remember(self, text: str, title: str | None = None) -> dict[str, Any]:
        """Write ``text`` as a new Markdown note into the remember folder; never overwrites."""
        folder = self._settings().remember_folder
        if not folder:
            raise Refused("remember is off: set remember_folder in Loci's settings to turn it on")
        root = Path(folder).expanduser()
        if not root.is_dir():
            raise Refused(f"the remember folder {root} does not exist")
        text = text.strip()
        if not text:
            raise Refused("nothing to remember")
        if len(text) > MAX_TEXT:
            raise Refused(f"a note to remember is at most {MAX_TEXT:,} characters")
        first = text.splitlines()[0].lstrip("# ").strip()
        name = " ".join((title or first).split())[:80] or "Note"
        slug = re.sub(r"[^\w]+", "-", name.lower()).strip("-")[:60] or "note"
        stamp = time.strftime("%Y-%m-%d-%H%M%S")
        body = f"# {name}\n\n{text}\n".encode()
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        for n in range(100):
            path = root / f"{stamp}-{slug}{f'-{n}' if n else ''}.md"
            try:
                fd = os.open(path, flags, 0o644)  # a new file only: nothing is overwritten
            except FileExistsError:
                continue
            with os.fdopen(fd, "wb") as f:
                f.write(body)
            return {"path": str(path), "uri": uri(str(path), 0)}
        raise Refused("could not find a free file name in the remember folder")

    def status(self) -> dict[str, Any]:
        backend = self.backend()
        st = backend.status(sync=True) if backend.remote else backend.status()
        out = {
            "folders": st.folders,
            "local_only": [f for f in self._settings().local_only],
            "files": st.files,
            "pieces": st.pieces,
            "errors": st.errors,
            "pending": st.pending,
            "provider": st.provider,
            "model": st.model,
            "engine": "resident" if backend.remote else "in-process",
        }
        if backend.remote:
            out["indexing"] = (st.sync or "idle") not in ("idle", "stopped", "unknown")
        else:
            out["indexing"] = _writer_busy(backend.engine)
        return out


def _writer_busy(engine: Any) -> bool:
    """Whether another Loci holds the index's writer lock (never taken here: only looked at)."""
    pid = engine.lock.owner().get("pid")
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)  # the note outlives a killed writer; its process does not
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True
