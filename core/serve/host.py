"""Starting the resident engine beside a host's open engine (``loci watch``/``serve``, the app)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def serve_engine(
    engine: Callable[[], Any],
    data: Path,
    sync_state: Callable[[], str] | None = None,
    say: Callable[[str], None] | None = None,
) -> Any:
    """A started ``EngineServer`` over ``engine()``, or None (said why) when it cannot serve.

    Serving is a convenience: when another Loci serves this index already, or the runtime
    folder cannot hold a private socket, the host goes on without it.
    """
    from core.serve.server import AlreadyServing, EngineServer, supported

    tell = say or log.warning
    if not supported():
        return None
    warm(engine())
    server = EngineServer(engine, data, sync_state=sync_state)
    try:
        server.start()
    except AlreadyServing as exc:
        tell(f"not serving: {exc}")
        return None
    except Exception as exc:  # no runtime folder, a path too long for a socket …
        tell(f"not serving the engine to `loci search` ({exc}); commands open the index themselves")
        return None
    if say is not None:
        say(f"serving on {server.path}")
    return server


def warm(engine: Any) -> None:
    """Load the search matrix now and the local model behind it, so the first client is quick.

    The matrix first and on this thread: the sync's updates then always find it to update.
    Only the offline model is warmed: a cloud provider would be sent a request.
    """
    if engine is None:
        return
    engine.searcher()
    if engine.embedder.provider != "local":
        return

    def load() -> None:
        from core.embed.base import Query

        try:
            engine.embedder.embed_query(Query(text="warm up"))
        except Exception:
            log.exception("could not load the model ahead of the first search")

    # Not a daemon: a process stopping meanwhile waits for it rather than shut down the
    # interpreter under a thread inside onnxruntime (which can abort the process).
    threading.Thread(target=load, name="loci-warm").start()
