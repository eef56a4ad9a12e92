"""Loci's sync and indexer with the hash embedder, for tests that run it as a process.

    python -m tests.e2e.sync_driver watch DATA ROOT [--exit-when-idle] [--small-batches]
    python -m tests.e2e.sync_driver index DATA ROOT
    python -m tests.e2e.sync_driver count DATA

``watch`` is ``loci watch`` (core.commands.watch.run_watch) over an engine with the deterministic
hash embedder instead of the local model, so that a process starts in about a second.
``--small-batches`` makes every few files a separate commit: more moments to be killed in,
and prints ``writing N`` as each commit starts, so a test can kill the process mid-write.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from core.app import Engine
from core.config import Settings
from core.model import drive
from core.store import IndexError_
from tests.helpers import HashEmbedder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["watch", "index", "count"])
    parser.add_argument("data", type=Path)
    parser.add_argument("root", type=Path, nargs="?")
    parser.add_argument("--exit-when-idle", action="store_true")
    parser.add_argument("--small-batches", action="store_true")
    args = parser.parse_args(argv)
    if args.small_batches:
        import core.index

        core.index.EMBED_BATCH = 3
        core.index.WRITE_BATCH = 6
        announce_writes()
    settings = Settings(folders=[str(args.root)] if args.root else [])
    engine = Engine(settings, data=args.data, embedder=HashEmbedder())
    try:
        if args.mode == "count":  # a reader: never takes the lock
            print(f"files {engine.store.counts()['files']}", flush=True)
            return 0
        if args.mode == "index":
            print(f"indexed {drive(engine.index()).indexed}", flush=True)
            return 0
        from core.commands.watch import run_watch

        return run_watch(engine, exit_when_idle=args.exit_when_idle, optimize_after=0.3)
    except IndexError_ as exc:
        print(f"loci: {exc}", file=sys.stderr, flush=True)
        return 1


def announce_writes() -> None:
    """Print ``writing N`` before every Store.write: a moment a test can aim a kill at."""
    from core.store import Store

    write = Store.write

    def announced(self: Store, updates: Any) -> None:
        print(f"writing {len(updates)}", flush=True)
        write(self, updates)

    Store.write = announced  # type: ignore[method-assign]


if __name__ == "__main__":
    sys.exit(main())
