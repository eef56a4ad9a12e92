"""The ``loci`` command line: index, search, recall, status, errors."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Generator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from core import __version__
from core.commands.serve import add_serve_parsers
from core.commands.watch import add_watch_parser
from core.errors import CliError, LociError
from core.model import KINDS, Hit, Progress, locator_text
from core.user_args import check_folder, parse_kind, parse_since

T = TypeVar("T")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            return cmd_default(args)
        return int(args.func(args))
    except BrokenPipeError:
        # `loci status | head -1`: the reader left; say nothing more, leave quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print(
            "\nloci: interrupted; finished work is saved, the rest is done next run",
            file=sys.stderr,
        )
        return 130
    except Exception as exc:
        line = error_line(exc)
        if line is None:
            raise  # not an error Loci expects: a bug, shown with its traceback
        print(f"loci: {line}", file=sys.stderr)
        return 1


def error_line(exc: Exception) -> str | None:
    """The one line ``loci`` prints for an error it expects (exit code 1), else None.

    Loci's own errors (``LociError``: bad input, a provider's failure, an unusable index …)
    say it themselves; failures from below Loci are put in words here.
    """
    if isinstance(exc, LociError):
        return str(exc)
    if type(exc).__module__.startswith(("google.", "httpx")):
        # The provider's SDK or its HTTP library, past the provider's own handling.
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return f"the provider failed: {type(exc).__name__} {first}"
    # Deferred: core.store imports numpy, which no command should pay for before it fails.
    from core.config import data_dir
    from core.store import DISK_FULL, damaged_message, is_disk_full, is_storage_error

    if is_disk_full(exc):
        return DISK_FULL
    if is_storage_error(exc):  # a read failed below the checks made at open
        return damaged_message(data_dir() / "index", exc)
    return None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="loci",
        description="Search your notes, photos, PDFs and voice memos by meaning. "
        "With no command: index the configured folders (the demo folder if none) and "
        "show the status.",
    )
    parser.add_argument("--version", action="version", version=f"loci {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("index", help="index folders (only what changed since last time)")
    p.add_argument(
        "folders",
        nargs="*",
        type=Path,
        help="folders to add and index (default: the configured folders)",
    )
    p.add_argument(
        "--rebuild",
        action="store_true",
        help="build a new index for the current provider/model/dims beside the old",
    )
    p.add_argument(
        "--batch",
        action="store_true",
        help="Gemini only: embed through the batch API (half price; the results come later: "
        "run again to collect them)",
    )
    p.add_argument("--wait", action="store_true", help="with --batch: wait for the results")
    p.add_argument(
        "--estimate",
        action="store_true",
        help="show what indexing would cost with Gemini, per kind of file; nothing is sent "
        "or saved",
    )
    p.add_argument(
        "--budget",
        type=float,
        metavar="DOLLARS",
        help="save a spending limit for the paid provider on this index (0: none); a run "
        "stops before exceeding it, leaving the rest pending",
    )
    _provider_args(p)
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("search", help="search by meaning")
    p.add_argument("query", nargs="*", help="what to look for, in any words or language")
    p.add_argument(
        "--file",
        type=Path,
        action="append",
        default=[],
        help="search by a file's content (an image, a PDF, a note); "
        "combine with words for one query",
    )
    p.add_argument(
        "--kind",
        action="append",
        default=[],
        metavar="KIND",
        help=f"only this kind: {', '.join(KINDS)} (repeatable)",
    )
    p.add_argument("--folder", help="only files below this folder")
    p.add_argument("--since", help="only files modified since DATE (2026-03-01, 7d, 2w, 6m)")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--json", action="store_true", help="one JSON object per hit")
    _provider_args(p)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("recall", help="the memories most related to a file")
    p.add_argument("path", type=Path)
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_recall)

    p = sub.add_parser("status", help="folders, counts, provider, model and index location")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("errors", help="files that could not be indexed, and why")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_errors)

    add_watch_parser(sub)
    add_serve_parsers(sub)
    return parser


def _provider_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--provider", help="embedding provider: local (default, offline) or gemini")
    p.add_argument("--dims", type=int, help="vector size for Gemini: 768, 1536 or 3072")


# ---- wiring ----


def _settings(args: argparse.Namespace | None = None) -> Any:
    from core.config import Settings

    settings = Settings.load()
    if args is not None and getattr(args, "provider", None):
        settings.provider = args.provider
    if args is not None and getattr(args, "dims", None):
        settings.dims = args.dims
    return settings


def _engine(settings: Any, *, rebuild: bool = False) -> Any:
    from core.app import Engine

    return Engine(settings, rebuild=rebuild)


def _backend(args: argparse.Namespace | None = None) -> Any:
    """The resident engine when one serves this index, else the index opened here."""
    from core.serve.backend import open_backend

    # --provider/--dims ask for another index than the one served: open that one here.
    explicit = args is not None and (getattr(args, "provider", None) or getattr(args, "dims", None))
    return open_backend(lambda: _engine(_settings(args)), remote=not explicit)


def run_with_progress(gen: Generator[Progress, None, T], *, quiet: bool = False) -> T:
    """Drive a progress generator, drawing a bar on a terminal (stderr), silent when piped."""
    show = not quiet and sys.stderr.isatty()
    last = 0.0
    while True:
        try:
            event = next(gen)
        except StopIteration as stop:
            if show:
                sys.stderr.write("\r\033[K")
                sys.stderr.flush()
            return stop.value  # type: ignore[no-any-return]
        now = time.monotonic()
        if show and event.total and (now - last > 0.1 or event.done == event.total):
            last = now
            width = 30
            filled = int(width * event.done / event.total)
            name = (f"{event.path} ({event.message})" if event.message else event.path)[-50:]
            sys.stderr.write(
                f"\r\033[K[{'#' * filled}{'.' * (width - filled)}] "
                f"{event.done:,}/{event.total:,} {name}"
            )
            sys.stderr.flush()


# ---- commands ----


def cmd_default(args: argparse.Namespace) -> int:
    args.folders = []
    args.rebuild = False
    args.batch = False
    args.estimate = False
    args.budget = None
    args.provider = None
    args.dims = None
    code = cmd_index(args)
    if code == 0:
        print()
        cmd_status(argparse.Namespace(json=False))
    return code


def cmd_index(args: argparse.Namespace) -> int:
    from core.config import Settings
    from core.store import current_identity

    settings = _settings(args)
    _check_dims(args, settings)
    folders = [Path(os.path.abspath(os.path.expanduser(f))) for f in args.folders]
    for f in folders:
        if not f.is_dir():
            raise CliError(f"folder not found: {f}")
    added = False
    was_demo = settings.is_demo()
    for f in folders:
        if str(f) not in settings.folders:
            settings.folders.append(str(f))
            settings.demo = False  # the sample has done its job
            added = True
            if not getattr(args, "estimate", False):
                print(f"Added {f} to Loci's folders.")
    if was_demo and folders and not getattr(args, "estimate", False):
        print("The demo folder leaves the index now that Loci has a folder of yours.")
    budget_changed = False
    if getattr(args, "budget", None) is not None:
        if args.budget < 0:
            raise CliError("--budget: give dollars, 0 or more")
        settings.budget_usd = float(args.budget)
        budget_changed = True
    if getattr(args, "estimate", False):
        # Only an estimate: nothing is saved, built or sent.
        saved = Settings.load()
        switching = (settings.provider, settings.dims) != (saved.provider, saved.dims)
        return _estimate(settings, switching=bool(args.rebuild or switching))
    from core.app import Engine

    # An explicit provider/dims/--rebuild builds beside the current index; otherwise a
    # mismatch is refused by Store.open with what to do.
    asked = bool(args.rebuild or args.provider or args.dims)
    engine = Engine(
        settings, embedder=_make_embedder(settings), rebuild=asked, fresh=bool(args.rebuild)
    )
    switching = engine.store.ident != current_identity(engine.data)
    # Only what took effect is saved: the added folders now; a new provider or dims once
    # its index is in use (a rejected key or an unfinished index leaves them as they were).
    provider_changed = bool(args.provider or args.dims)
    if added or budget_changed:
        saved = Settings.load()
        saved.folders = list(settings.folders)
        saved.demo = settings.demo
        saved.budget_usd = settings.budget_usd
        saved.save()
    roots = engine.folders
    if settings.is_demo():
        print(
            f"No folder of yours yet: indexing Loci's demo folder, a sample ({roots[0]}). "
            "Add yours with `loci index FOLDER`."
        )
    elif not roots:
        print("No folders to index: add one with `loci index FOLDER`.")
    for r in roots:
        if not r.is_dir():
            raise CliError(f"folder not found: {r} (remove it from settings or reconnect it)")
    if args.batch:
        report = _batch(engine, roots, wait=args.wait)
        if report is None:
            if provider_changed:
                settings.save()  # the job exists: a later `loci index --batch` collects it
            return 0
    else:
        report = run_with_progress(engine.index(roots))
    if report.fatal:
        if provider_changed:
            engine.store.give_up_current()
        kept = " The settings were not changed." if provider_changed else ""
        raise CliError(f"{report.fatal}.{kept}".replace("..", "."))
    in_use = not switching
    if report.budget_stop:
        print(f"Stopped: {report.budget_stop}.")
    if args.rebuild or switching:
        if report.pending == 0:
            engine.store.make_current()
            in_use = True
            print(f"New index for {engine.store.ident.describe()} is now in use.")
        else:
            print(
                "The new index is not complete yet (files pending); the old one stays in use. "
                "Run the same command again to finish it."
            )
    if provider_changed and in_use:
        settings.save()
    print(
        f"Indexed {report.indexed:,} files ({report.embedded_pieces:,} pieces embedded), "
        f"re-used {report.reused:,}, unchanged {report.unchanged:,}, removed {report.deleted:,}, "
        f"errors {report.errors:,}, pending {report.pending:,}, "
        f"skipped {report.skipped:,} unsupported — {report.seconds:.1f} s"
    )
    if report.errors:
        print("Some files could not be indexed: `loci errors` says why.")
    return 0


def _check_dims(args: argparse.Namespace, settings: Any) -> None:
    if args.dims is None:
        return
    if args.dims <= 0:
        raise CliError(f"--dims must be a positive number (768, 1536 or 3072), not {args.dims}")
    if settings.provider == "local":
        raise CliError(
            "--dims applies to Gemini (768, 1536 or 3072); the local model's size is fixed "
            "at 512. Add --provider gemini to choose it."
        )


def _check_limit(limit: int) -> None:
    if limit < 1:
        raise CliError(f"--limit must be 1 or more, not {limit}")


def _batch(engine: Any, roots: list[Path], *, wait: bool) -> Any:
    """Submit or collect batch jobs; the index report once ingested, else None."""
    from core import batch

    job = batch.pending_job(engine)
    if job is None:
        with engine.lock:
            job = batch.submit(engine, roots)
        if job is None:
            print("Nothing new to embed; updating the index online.")
            return run_with_progress(engine.index(roots))
        names = ", ".join(j["name"] for j in job["jobs"])
        print(
            f"Submitted batch job{'s' if len(job['jobs']) > 1 else ''} {names}: "
            f"{len(batch.job_keys(job)):,} pieces from {job['files']:,} files."
        )
    while True:
        collected = batch.poll(engine, job)
        if collected is not None:
            names = ", ".join(j["name"] for j in job["jobs"])
            print(f"Batch job {names} is done; storing its vectors.")
            for why in collected.ended:
                print(f"  {why}")
            if collected.missing:
                print(
                    f"  {collected.missing:,} pieces came back without a vector; "
                    "their files stay pending (`loci errors` says why)."
                )
            return run_with_progress(batch.ingest(engine, job, collected, roots))
        if not wait:
            print(
                "The batch job is still running: run `loci index --batch` again later "
                "(or add --wait). Nothing is lost meanwhile."
            )
            return None
        time.sleep(float(os.environ.get("LOCI_BATCH_POLL_S", "30")))


def _estimate(settings: Any, *, switching: bool) -> int:
    """Print what indexing the folders would cost with Gemini; nothing is sent."""
    from core import cost

    indexer = None
    if settings.provider == "gemini" and not switching:
        from core.app import Engine

        indexer = Engine(settings, embedder=_make_embedder(settings)).indexer()
    est = cost.estimate_folders(settings, indexer)
    where = "the Gemini index" if indexer is not None else "a new Gemini index"
    print(f"Estimate for {where} (nothing is sent):")
    for line in cost.describe(est):
        print(f"  {line}")
    if est.local_only:
        print(f"  {est.local_only:,} files in local-only folders: never sent, no cost.")
    if settings.budget_usd:
        print(f"  Budget: ${settings.budget_usd:.2f} for this index.")
    print(cost.PRICE_NOTE)
    return 0


def _make_embedder(settings: Any) -> Any:
    from core.app import make_embedder

    return make_embedder(settings)


def cmd_search(args: argparse.Namespace) -> int:
    _check_limit(args.limit)
    text = " ".join(args.query).strip()
    if not text and not args.file:
        raise CliError("give a query, a --file, or both")
    for f in args.file:
        if not f.is_file():
            raise CliError(f"file not found: {f}")
    settings = _settings(args)
    kinds = [parse_kind(k) for k in args.kind]
    folder = check_folder(args.folder, settings) if args.folder else ""
    since = parse_since(args.since) if args.since else 0.0
    engine = _backend(args)
    try:
        hits = engine.search(
            text,
            files=args.file,
            kinds=kinds,
            folder=folder,
            since=since,
            limit=args.limit,
        )
    except ValueError as exc:
        from core.search import NothingToSearch  # deferred: core.search loads numpy

        if isinstance(exc, NothingToSearch):  # a ValueError of core.search, not a LociError
            raise CliError(str(exc)) from None
        raise
    if args.json:
        for h in hits:
            print(json.dumps(h.to_json(), ensure_ascii=False))
        return 0
    what = text or ", ".join(str(f) for f in args.file)
    if not hits:
        counts = engine.counts()
        hint = "try other words"
        if args.kind or args.folder or since:
            hint += " or loosen the filters"
        if counts["pending"]:
            hint += f"; {counts['pending']} files are still waiting to be indexed"
        if counts["files"] == 0:
            hint = "the index is empty: run `loci index` first"
        print(f"No good match for {what!r} ({hint}).")
        return 0
    print_hits(hits)
    return 0


def cmd_recall(args: argparse.Namespace) -> int:
    _check_limit(args.limit)
    engine = _backend()
    path = Path(os.path.abspath(args.path))
    try:
        hits = engine.recall(str(path), limit=args.limit)
    except KeyError:
        raise CliError(
            f"{path} is not in the index (is it in one of Loci's folders? run `loci index`)"
        ) from None
    if args.json:
        for h in hits:
            print(json.dumps(h.to_json(), ensure_ascii=False))
        return 0
    if not hits:
        print(f"Nothing in the index is closely related to {path.name}.")
        return 0
    print(f"Related to {path.name}:")
    print_hits(hits)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    st = _backend().status()
    if args.json:
        print(json.dumps(st, ensure_ascii=False))
        return 0
    if st["demo"]:
        print(f"Folders:   the demo folder, a sample ({st['folders'][0]})")
        print("           add yours with `loci index FOLDER`; the demo then leaves the index")
    else:
        print(f"Folders:   {', '.join(st['folders']) or 'none: add one with `loci index FOLDER`'}")
    print(f"Files:     {st['files']:,} indexed, {st['errors']:,} errors, {st['pending']:,} pending")
    print(f"Pieces:    {st['pieces']:,}")
    if st["outside"]:
        print(
            f"           {st['outside']:,} files of folders no longer in the settings leave "
            "the index at the next `loci index`"
        )
    print(f"Provider:  {st['provider']} · model {st['model']} · {st['dims']} dims")
    if st["usage_tokens"]:
        print(f"Usage:     {st['usage_tokens']:,} tokens sent to the provider")
    if st.get("spent_usd") or st.get("budget_usd"):
        budget = f" of a ${st['budget_usd']:.2f} budget" if st.get("budget_usd") else ""
        print(f"Spent:     ~${st['spent_usd']:.2f}{budget} (estimated at list prices)")
    print(f"Index:     {st['index']} ({_human_bytes(st['index_bytes'])})")
    if st["errors"]:
        print("Run `loci errors` to see why some files could not be indexed.")
    return 0


def cmd_errors(args: argparse.Namespace) -> int:
    rows = _backend().errors()  # path, status, error; sorted by path
    if args.json:
        for f in rows:
            print(json.dumps(f, ensure_ascii=False))
        return 0
    if not rows:
        print("No errors: every supported file is indexed.")
        return 0
    for f in rows:
        label = "pending" if f["status"] == "pending" else "error"
        print(f"{f['path']}\n    {label}: {f['error']}")
    return 0


# ---- output ----


def print_hits(hits: Sequence[Hit]) -> None:
    from core.scan import display_path

    tty = sys.stdout.isatty()
    for h in hits:
        when = datetime.fromtimestamp(h.modified).strftime("%Y-%m-%d")
        where = locator_text(h.locator)
        bar = "█" * max(1, round(h.score * 10))
        print(f"{h.score:5.2f} {bar:<10} {h.kind:<5} {h.title}")
        print(f"      {display_path(h.path)}{'  · ' + where if where else ''}  · {when}")
        print(f"      {highlight(h.snippet, h.matched_terms, tty)}")


def highlight(text: str, terms: Sequence[str], tty: bool) -> str:
    if not tty or not terms:
        return text
    pattern = re.compile(r"\b(" + "|".join(re.escape(t[:5]) for t in terms) + r")\w*", re.I)
    return pattern.sub(lambda m: f"\033[1m{m.group(0)}\033[0m", text)


def _human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


if __name__ == "__main__":
    sys.exit(main())
