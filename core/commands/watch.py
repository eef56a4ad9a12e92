"""``loci watch [FOLDER…]``: run the background sync in the foreground, logging each change.

Registered by ``core.cli.build_parser`` through ``add_watch_parser``. Ctrl-C or SIGTERM
stops it cleanly: the file being indexed is finished or dropped whole, queued changes are
left for the next start's reconciliation. A second Ctrl-C stops at once — still safe, as
every write to the index is atomic.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from core.errors import CliError
from core.sync.defaults import DEFAULT_DEBOUNCE

STOP_WAIT = 10.0  # s a stop waits for the file being indexed before leaving without it


def add_watch_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "watch",
        help="keep the index in step with the folders until stopped (Ctrl-C)",
        description="Index what changed since last time, then watch the folders and index "
        "every change as it happens, logging each one. Stop with Ctrl-C.",
    )
    p.add_argument(
        "folders",
        nargs="*",
        type=Path,
        help="folders to add and watch (default: the configured folders)",
    )
    add_debounce_option(p)
    p.set_defaults(func=cmd_watch)
    return p


def add_debounce_option(p: argparse.ArgumentParser) -> None:
    """``--debounce SECONDS``, shared by ``loci watch`` and ``loci serve``."""
    p.add_argument(
        "--debounce",
        type=float,
        default=DEFAULT_DEBOUNCE,
        metavar="SECONDS",
        help=f"quiet time before a burst of changes is indexed (default {DEFAULT_DEBOUNCE:g})",
    )


def cmd_watch(args: argparse.Namespace) -> int:
    from core.app import Engine
    from core.config import Settings

    settings = Settings.load()
    folders = [Path(os.path.abspath(os.path.expanduser(f))) for f in args.folders]
    for f in folders:
        if not f.is_dir():
            raise CliError(f"folder not found: {f}")
    added = [f for f in folders if str(f) not in settings.folders]
    settings.folders.extend(str(f) for f in added)
    if added:
        settings.demo = False  # the sample has done its job
    engine = Engine(settings)  # IndexMismatch says what to do when the provider changed
    if added:
        settings.save()
        for f in added:
            print(f"Added {f} to Loci's folders.")
    if settings.is_demo():
        print(
            f"No folder of yours yet: watching Loci's demo folder, a sample ({engine.folders[0]})"
        )
    return run_watch(engine, debounce=args.debounce)


def run_watch(
    engine: Any,
    *,
    roots: Sequence[Path] | None = None,
    out: IO[str] | None = None,
    exit_when_idle: bool = False,
    serve: bool = True,
    **syncer_options: Any,
) -> int:
    """Sync ``engine``'s folders in the foreground until a signal (or idle, if asked).

    With ``serve``, the engine also answers ``loci search`` & co. on its socket meanwhile
    (see ``core.serve``), its search matrix kept in step with every indexed change.
    """
    from core.sync.syncer import Failure, Synced, Syncer

    stream = out or sys.stdout
    show_progress = out is None and sys.stderr.isatty()
    last_bar = [0.0]

    def say(line: str) -> None:
        if show_progress:
            sys.stderr.write("\r\033[K")
        print(f"{time.strftime('%H:%M:%S')}  {line}", file=stream, flush=True)

    def on_indexed(s: Synced) -> None:
        if engine._searcher is not None:  # what is served: edits findable at once
            engine.searcher().vectors.apply(s.report.changed_paths + s.report.deleted_paths)
        failed = {f.path for f in s.failures}
        for p in s.report.changed_paths:
            if p not in failed:
                say(f"indexed  {p}")
        for p in s.report.deleted_paths:
            say(f"removed  {p}")
        if s.reason != "changes":
            r = s.report
            say(
                f"{s.reason} scan: {r.indexed + r.reused:,} indexed, {r.deleted:,} removed, "
                f"{r.unchanged:,} unchanged, {r.errors:,} errors ({r.seconds:.1f} s)"
            )

    def on_failed(f: Failure) -> None:
        say(f"{'pending' if f.status == 'pending' else 'failed '}  {f.path}: {f.error}")

    def on_progress(event: Any) -> None:
        now = time.monotonic()
        if show_progress and event.total and now - last_bar[0] > 0.2:
            last_bar[0] = now
            sys.stderr.write(f"\r\033[K{event.done:,}/{event.total:,} {event.path[-60:]}")
            sys.stderr.flush()

    stop = threading.Event()
    syncer = Syncer.for_engine(
        engine,
        **({"roots": list(roots)} if roots is not None else {}),
        on_indexed=on_indexed,
        on_failed=on_failed,
        on_progress=on_progress,
        on_warning=lambda m: say(f"warning  {m}"),
        on_error=lambda m: say(f"error    {m}"),
        **syncer_options,
    )
    previous = _install_stop_handlers(stop)
    server = None
    try:
        syncer.start()  # IndexLocked when another Loci is updating this index
        if serve:
            from core.serve.host import serve_engine

            server = serve_engine(lambda: engine, engine.data, lambda: syncer.state, say)
        say(f"watching {', '.join(str(r) for r in syncer.roots)} (Ctrl-C to stop)")
        up_to_date = False
        while not stop.is_set() and not syncer.stopped.is_set():
            stop.wait(0.2)
            if syncer.idle.is_set() and not up_to_date:
                up_to_date = True
                say("up to date; watching for changes")
                if exit_when_idle:
                    break
        died = syncer.stopped.is_set() and not stop.is_set()
        pending = len(syncer.queue)
        busy = syncer.state not in ("idle", "stopped")
        if server is not None:
            server.stop()
            server = None
        if not syncer.stop(timeout=STOP_WAIT):
            # The worker is inside one slow read or model call. Every write is atomic, so
            # leaving now loses nothing; the OS drops the index lock as the process ends.
            say(f"the file being indexed did not finish within {STOP_WAIT:g} s; stopping anyway")
    finally:
        if server is not None:
            server.stop()
        _restore_handlers(previous)
    if busy or pending:
        say("stopped; changes not indexed yet are picked up at the next start")
    else:
        say("stopped; the index is up to date")
    return 1 if died else 0


def _install_stop_handlers(stop: threading.Event) -> dict[int, Any]:
    if threading.current_thread() is not threading.main_thread():
        return {}

    def handler(signum: int, frame: Any) -> None:
        if stop.is_set():  # a second Ctrl-C: stop now (every commit is atomic anyway)
            raise KeyboardInterrupt
        stop.set()
        print("\nstopping… (Ctrl-C again to stop at once)", file=sys.stderr, flush=True)

    previous: dict[int, Any] = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.getsignal(sig)
        signal.signal(sig, handler)
    return previous


def _restore_handlers(previous: dict[int, Any]) -> None:
    for sig, h in previous.items():
        signal.signal(sig, h)
