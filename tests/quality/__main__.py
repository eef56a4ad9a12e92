"""``make quality``: build the evaluation sets, rank every query three ways, print the table.

Not part of the default test run (it takes minutes and needs the real models).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from tests.quality import corpora, queries
from tests.quality.harness import (
    MODES,
    CachedEmbedder,
    Scores,
    evaluate,
    evaluate_recall,
    open_engine,
)

CACHE = Path(__file__).resolve().parents[2] / ".cache" / "quality"
HEADER = ["set", "queries", "ranking", "hit@1", "hit@5", "MRR@10", "false match", "false no-match"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make quality")
    every = "personal,multilingual,held,photos,recall,pydoc300,pydoc1500"
    parser.add_argument("--sets", default=every, help=f"comma-separated, of {every}")
    parser.add_argument("--misses", action="store_true", help="list the combined ranking's misses")
    args = parser.parse_args(argv)
    wanted = args.sets.split(",")
    embedder = CachedEmbedder(CACHE)
    rows: list[list[str]] = []
    misses: list[str] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="loci-quality-") as tmp:
        os.environ["LOCI_CONFIG_DIR"] = str(Path(tmp) / "config")
        work = Path(tmp)

        def report(name: str, n: int, scores: dict[str, Scores]) -> None:
            for mode in MODES:
                rows.append([name, str(n), mode, *scores[mode].row()])
            misses.append(f"[{name}]")
            misses.extend(found)
            found.clear()

        found: list[str] = []
        if {"personal", "multilingual", "held", "photos", "recall"} & set(wanted):
            root = work / "personal"
            corpora.build_personal(root)
            engine = open_engine(root, work / "data-personal", embedder)
            if "personal" in wanted:
                s = evaluate(engine, root, queries.PERSONAL, queries.UNANSWERABLE, misses=found)
                report("personal notes", len(queries.PERSONAL), s)
            if "multilingual" in wanted:
                s = evaluate(engine, root, queries.MULTILINGUAL, misses=found)
                report("de/fr/es/zh/ja → en notes", len(queries.MULTILINGUAL), s)
            if "held" in wanted:  # never used to tune (tune.py does not read these)
                s = evaluate(
                    engine,
                    root,
                    queries.PERSONAL_HELD_OUT,
                    queries.UNANSWERABLE_HELD_OUT,
                    misses=found,
                )
                report("personal notes, held out", len(queries.PERSONAL_HELD_OUT), s)
                s = evaluate(engine, root, queries.MULTILINGUAL_HELD_OUT, misses=found)
                report("de/fr/es/zh/ja, held out", len(queries.MULTILINGUAL_HELD_OUT), s)
            if "photos" in wanted:
                s = evaluate(engine, root, queries.PHOTOS, misses=found)
                report("photos among notes", len(queries.PHOTOS), s)
            if "recall" in wanted:
                r = evaluate_recall(engine, root, queries.RECALL, misses=found)
                rows.append(["recall photo ↔ note", str(len(queries.RECALL)), "recall", *r.row()])
                misses.append("[recall photo ↔ note]")
                misses.extend(found)
                found.clear()
        for name, files in (("pydoc300", 300), ("pydoc1500", 1500)):
            if name not in wanted:
                continue
            root = work / name
            owners = corpora.build_pydoc(root, 300, files, CACHE)
            engine = open_engine(root, work / f"data-{name}", embedder)
            for label, qs in (
                ("tuning half", queries.PYDOC_TUNE),
                ("held out", queries.PYDOC_HELD_OUT),
            ):
                s = evaluate(engine, root, qs, queries.PYDOC_UNANSWERABLE, owners, misses=found)
                report(f"pydoc {files} docs, {label}", len(qs), s)
    print(table(rows))
    print(f"\n{time.perf_counter() - started:.0f} s; {len(embedder.vectors)} cached vectors")
    if args.misses:
        print("\nCombined ranking, answers not first / false matches:")
        print("\n".join(misses))
    return 0


def table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(len(HEADER))]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(HEADER, widths, strict=True)) + " |"]
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    lines += [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
