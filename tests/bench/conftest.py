"""Benchmarks: figures as ratios against a baseline measured in the same run.

Run with `make bench`; each prints a line starting with BENCH, and asserts the target.
"""

from __future__ import annotations

import random
from pathlib import Path

WORDS = (
    "cat dog garden bread travel meeting budget pricing river mountain coffee train book "
    "music piano winter summer photo camera project deadline invoice recipe flour oven "
    "holiday beach museum tram castle doctor vaccine running shoes marathon knee plan "
    "friend family birthday gift email review design sketch whiteboard tier customer"
).split()


def make_notes(root: Path, n: int, words: int = 80, seed: int = 7) -> list[Path]:
    rng = random.Random(seed)
    paths = []
    for i in range(n):
        p = root / f"d{i % 50:02d}" / f"note{i:05d}.md"
        p.parent.mkdir(parents=True, exist_ok=True)
        body = " ".join(rng.choice(WORDS) for _ in range(words))
        p.write_text(f"# Note {i}\n{body.capitalize()}.\n", encoding="utf-8")
        paths.append(p)
    return paths


def report(name: str, **figures: float | int | str) -> None:
    parts = ", ".join(
        f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in figures.items()
    )
    print(f"\nBENCH {name}: {parts}")
