"""What the results area says when it has no results: the welcome, no match, errors."""

from __future__ import annotations

import html
from pathlib import Path

from core.config import Settings

EXAMPLE_QUERIES = ("bread recipe", "pricing tiers", "a cat asleep", "trip to Portugal")


def welcome_html(settings: Settings) -> str:
    """The first screen: what Loci does, and which folders it searches (links: ``q:`` runs
    an example query, ``settings:`` opens the settings)."""
    intro = (
        "<div style='font-size:17pt; font-weight:600'>Search your memories by meaning</div>"
        "<p>Type a question, drop a photo, a PDF or a note onto this window, "
        "or paste an image with Ctrl+V.</p>"
    )
    add = "<a href='settings:'>Add a folder…</a>"
    if settings.is_demo():
        links = " · ".join(f"<a href='q:{q}'>{q}</a>" for q in EXAMPLE_QUERIES)
        where = (
            f"<p style='margin-top:14px'>Try {links}</p>"
            "<p style='color:gray'>This is Loci's <b>demo folder</b>, a small sample of "
            "notes and photos. When you add a folder of your own, the demo leaves the index. "
            f"{add}</p>"
        )
    elif not settings.folders:
        where = f"<p style='color:gray'>No folder to search yet. {add}</p>"
    else:
        names = [Path(f).name or f for f in settings.folders]
        shown = ", ".join(html.escape(n) for n in names[:4])
        more = f" and {len(names) - 4} more" if len(names) > 4 else ""
        label = "your folder" if len(names) == 1 else "your folders"
        where = f"<p style='color:gray'>Searching {label} {shown}{more}</p>"
    return intro + where


def no_match(query: str, *, filtered: bool, indexing: bool) -> tuple[str, str]:
    """The title and hints shown when a search found nothing good."""
    hints = ["Try other words, or fewer of them."]
    if filtered:
        hints.append("Check the filters above: they may hide what you want.")
    if indexing:
        hints.append("Indexing is still running — more may match soon.")
    return f"No good match for “{query}”", " ".join(hints)


def message_html(title: str, body: str) -> str:
    return (
        f"<div style='font-size:15pt; font-weight:600'>{html.escape(title)}</div>"
        f"<p>{html.escape(body)}</p>"
    )
