"""What the ``loci`` commands print: the progress bar (on a terminal), hits, sizes."""

from __future__ import annotations

import sys
import time
from collections.abc import Generator, Sequence
from datetime import datetime
from typing import TypeVar

from core.model import Hit, Progress, drive, locator_text
from core.relevance import term_pattern

T = TypeVar("T")


def run_with_progress(gen: Generator[Progress, None, T], *, quiet: bool = False) -> T:
    """Drive a progress generator, drawing a bar on a terminal (stderr), silent when piped."""
    show = not quiet and sys.stderr.isatty()
    last = 0.0

    def draw(event: Progress) -> None:
        nonlocal last
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

    report = drive(gen, draw)
    if show:
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()
    return report


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
    pattern = term_pattern(terms) if tty else None
    if pattern is None:
        return text
    return pattern.sub(lambda m: f"\033[1m{m.group(0)}\033[0m", text)


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"
