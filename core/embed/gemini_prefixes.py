"""What gemini-embedding-2 reads as text: the task prefixes and the token budget.

The prefixes live here and nowhere else; ``fit_text`` cuts an oversized piece so that
its prefixed text stays within the model's input limit.
"""

from __future__ import annotations

from typing import Literal

from core.cost import estimate_tokens
from core.embed.base import CODE, FACT, QUESTION, SEARCH, SYMMETRIC_TASKS

MAX_TEXT_TOKENS = 8192
# Text is cut to this estimate, leaving slack for the estimate's error and the prefix.
TEXT_TOKEN_BUDGET = 7680
QUERY_TASKS = frozenset({SEARCH, QUESTION, FACT, CODE, *SYMMETRIC_TASKS})

Side = Literal["query", "document"]

__all__ = [
    "MAX_TEXT_TOKENS",
    "QUERY_TASKS",
    "TEXT_TOKEN_BUDGET",
    "Side",
    "estimate_tokens",
    "fit_text",
    "prefixed",
]


def prefixed(text: str, side: Side = "query", task: str = SEARCH, title: str = "") -> str:
    """The text with the task prefix gemini-embedding-2 expects; the one place they live.

    Documents read ``title: {title or "none"} | text: {text}``; queries read
    ``task: {task} | query: {text}``. Symmetric tasks (similarity, clustering,
    classification) use the query form on both sides.

    Raises:
        ValueError: for a task the model does not know.
    """
    if task not in QUERY_TASKS:
        raise ValueError(f"unknown embedding task {task!r}")
    if side == "document" and task not in SYMMETRIC_TASKS:
        return f"title: {title.strip() or 'none'} | text: {text}"
    return f"task: {task} | query: {text}"


def fit_text(text: str, budget: int = TEXT_TOKEN_BUDGET) -> str:
    """``text`` cut at the end so that its estimate fits ``budget`` tokens.

    Truncating rather than splitting keeps one vector per piece; extractors already chunk
    notes below the limit, so this only guards against an oversized piece.
    """
    if estimate_tokens(text) <= budget:
        return text
    lo, hi = 0, min(len(text), budget * 4)
    while lo < hi:  # the longest prefix that fits
        mid = (lo + hi + 1) // 2
        if estimate_tokens(text[:mid]) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo]
