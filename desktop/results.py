"""Result lists: the model of hits, and what a hit says (folder, date, locator,
highlighted snippet), worked out from the ``Hit`` the engine returned.

``desktop.cards`` paints them; views only lay out.
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)

from core.model import Locator, clock, locator_text
from core.relevance import term_pattern

HIT_ROLE = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex


def format_locator(locator: Locator) -> str:
    """``§ Heading``, ``pp. 4–6``, ``01:20–03:00`` or a photo's ``451×300`` — where in the file
    the match is (core's one formatter, in its short form)."""
    return locator_text(locator, short=True)


def time_range(locator: Locator) -> str:
    """``01:20–03:00`` for a hit in audio or video; empty for other kinds."""
    seconds = locator.get("seconds")
    return "–".join(clock(s) for s in seconds[:2]) if seconds else ""


def format_date(epoch: float, now: datetime | None = None) -> str:
    when = datetime.fromtimestamp(epoch)
    now = now or datetime.now()
    if when.date() == now.date():
        return "today " + when.strftime("%H:%M")
    if when.year == now.year:
        return f"{when.day} {when:%b}"
    return f"{when.day} {when:%b %Y}"


def highlight(snippet: str, terms: Sequence[str]) -> str:
    """``snippet`` as HTML with every word that starts like a query term in bold."""
    escaped = html.escape(snippet, quote=False)
    pattern = term_pattern(terms)
    if pattern is None:
        return escaped
    return pattern.sub(lambda m: f"<b class='hl'>{m.group(0)}</b>", escaped)


class HitModel(QAbstractListModel):
    """The hits of one search or recall, best first."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.hits: list[Any] = []
        self.terms: list[str] = []
        self.roots: list[str] = []

    def set_hits(self, hits: Sequence[Any], terms: Sequence[str] = ()) -> None:
        self.beginResetModel()
        self.hits = list(hits)
        self.terms = list(terms)
        self.endResetModel()

    def clear(self) -> None:
        self.set_hits([])

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.hits)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.hits):
            return None
        hit = self.hits[index.row()]
        if role == HIT_ROLE:
            return hit
        if role == Qt.ItemDataRole.DisplayRole:
            return hit.title or os.path.basename(hit.path)
        if role == Qt.ItemDataRole.ToolTipRole:
            return hit.path
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{hit.title}, {hit.kind}, score {hit.score:.2f}"
        return None

    def row_of(self, path: str) -> int:
        for i, hit in enumerate(self.hits):
            if hit.path == path:
                return i
        return -1

    def rows_of(self, path: str) -> list[int]:
        return [i for i, hit in enumerate(self.hits) if hit.path == path]

    def folder_of(self, path: str) -> str:
        """The file's folder relative to the indexed folder holding it."""
        parent = os.path.dirname(path)
        for root in self.roots:
            root = root.rstrip(os.sep)
            if parent == root:
                return os.path.basename(root)
            if parent.startswith(root + os.sep):
                return os.path.relpath(parent, root)
        return parent.replace(os.path.expanduser("~"), "~", 1)

    def top_score(self) -> float:
        return max((h.score for h in self.hits), default=1.0)
