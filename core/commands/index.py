"""``loci index``: add folders, index what changed, build a new index beside the old one,
embed through Gemini's batch API (``--batch``) or only estimate the cost (``--estimate``)."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

from core.commands.output import run_with_progress
from core.commands.wiring import embedder_for, settings_for
from core.errors import CliError


def cmd_index(args: argparse.Namespace) -> int:
    from core.config import Settings
    from core.store import current_identity  # deferred, as the engine: numpy, LanceDB

    settings = settings_for(args)
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
        settings, embedder=embedder_for(settings), rebuild=asked, fresh=bool(args.rebuild)
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

        indexer = Engine(settings, embedder=embedder_for(settings)).indexer()
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
