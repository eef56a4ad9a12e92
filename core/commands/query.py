"""``loci search``, ``recall``, ``status`` and ``errors``: the commands that read the index,
through the resident engine when one serves it."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from core.commands.output import human_bytes, print_hits
from core.commands.wiring import backend_for, check_limit, settings_for
from core.errors import CliError
from core.model import FileStatus
from core.user_args import check_folder, parse_kind, parse_since


def cmd_search(args: argparse.Namespace) -> int:
    check_limit(args.limit)
    text = " ".join(args.query).strip()
    if not text and not args.file:
        raise CliError("give a query, a --file, or both")
    for f in args.file:
        if not f.is_file():
            raise CliError(f"file not found: {f}")
    settings = settings_for(args)
    kinds = [parse_kind(k) for k in args.kind]
    folder = check_folder(args.folder, settings) if args.folder else ""
    since = parse_since(args.since) if args.since else 0.0
    engine = backend_for(args)
    hits = engine.search(
        text, files=args.file, kinds=kinds, folder=folder, since=since, limit=args.limit
    )
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
    check_limit(args.limit)
    engine = backend_for()
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
    st = backend_for().status()
    if args.json:
        print(json.dumps(st.as_dict(), ensure_ascii=False))
        return 0
    if st.demo:
        print(f"Folders:   the demo folder, a sample ({st.folders[0]})")
        print("           add yours with `loci index FOLDER`; the demo then leaves the index")
    else:
        print(f"Folders:   {', '.join(st.folders) or 'none: add one with `loci index FOLDER`'}")
    print(f"Files:     {st.files:,} indexed, {st.errors:,} errors, {st.pending:,} pending")
    print(f"Pieces:    {st.pieces:,}")
    if st.outside:
        print(
            f"           {st.outside:,} files of folders no longer in the settings leave "
            "the index at the next `loci index`"
        )
    print(f"Provider:  {st.provider} · model {st.model} · {st.dims} dims")
    if st.usage_tokens:
        print(f"Usage:     {st.usage_tokens:,} tokens sent to the provider")
    if st.spent_usd or st.budget_usd:
        budget = f" of a ${st.budget_usd:.2f} budget" if st.budget_usd else ""
        print(f"Spent:     ~${st.spent_usd:.2f}{budget} (estimated at list prices)")
    print(f"Index:     {st.index} ({human_bytes(st.index_bytes)})")
    if st.errors:
        print("Run `loci errors` to see why some files could not be indexed.")
    return 0


def cmd_errors(args: argparse.Namespace) -> int:
    rows = backend_for().errors()  # path, status, error; sorted by path
    if args.json:
        for f in rows:
            print(json.dumps(f, ensure_ascii=False))
        return 0
    if not rows:
        print("No errors: every supported file is indexed.")
        return 0
    for f in rows:
        label = "pending" if f["status"] == FileStatus.PENDING else "error"
        print(f"{f['path']}\n    {label}: {f['error']}")
    return 0
