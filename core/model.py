"""The engine's plain data: pieces of files, progress events, search hits."""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, overload

from core.paths import display_path

KINDS = ("note", "image", "pdf", "audio", "video")


def clock(seconds: float) -> str:
    """``02:55`` (or ``1:02:55`` past an hour): how a time in a recording is shown."""
    s = int(seconds)
    return (
        f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
        if s >= 3600
        else f"{s // 60:02d}:{s % 60:02d}"
    )


def locator_text(loc: dict[str, Any], heading: str = "§ ") -> str:
    """Where a piece sits, as shown: ``§ Heading``, ``p. 3`` / ``pp. 1–6``, ``02:55–05:55``."""
    if "heading" in loc:
        return f"{heading}{loc['heading']}"
    if "pages" in loc:
        a, b = loc["pages"]
        return f"p. {a}" if a == b else f"pp. {a}–{b}"
    if "seconds" in loc:
        a, b = loc["seconds"]
        return f"{clock(a)}–{clock(b)}"
    return ""


@dataclass(frozen=True)
class MediaPart:
    """A non-text part of a piece (an image, PDF pages, an audio/video segment).

    Providers that read media (Gemini) send it; text-only providers ignore it.
    ``data`` holds the bytes when they were produced in memory (a re-encoded
    segment); otherwise ``path`` points at the user's file, read when needed.
    """

    mime: str
    path: Path | None = None
    data: bytes | None = None

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.path is not None
        return self.path.read_bytes()


@dataclass
class Piece:
    """One embeddable unit of a file: a note chunk, a window of PDF pages, an image.

    ``locator`` says where it sits in the file: ``{"heading": "A › B"}``,
    ``{"pages": [1, 6]}`` or ``{"seconds": [0.0, 180.0]}``.
    """

    kind: str
    title: str
    text: str
    locator: dict[str, Any] = field(default_factory=dict)
    mime: str = "text/plain"
    media: list[MediaPart] = field(default_factory=list)
    # False: stored for its words only, with a zero vector that matches no query (an empty
    # note's name: findable by keyword, never a "meaning" match for anything).
    embed: bool = True
    # What the embedder reads instead of ``text`` when set: the chunk with long tables and
    # code blocks shortened, so they do not drown what the note is about. Not stored.
    embed_text: str = ""


@dataclass(frozen=True)
class Progress:
    """A progress event yielded by long operations: ``done`` of ``total`` so far."""

    done: int
    total: int
    path: str = ""
    message: str = ""


@dataclass
class Hit:
    """One file in a search or recall result, represented by its best piece."""

    path: str
    kind: str
    score: float
    title: str
    snippet: str
    locator: dict[str, Any]
    modified: float
    piece: int = 0
    piece_id: str = ""
    matched_terms: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": display_path(self.path),  # the real path; \xNN only for non-UTF-8 bytes
            "kind": self.kind,
            "score": round(float(self.score), 4),
            "title": self.title,
            "snippet": self.snippet,
            "locator": self.locator,
            "modified": datetime.fromtimestamp(self.modified, UTC).isoformat(),
            "piece": self.piece,
        }


R = TypeVar("R")


@overload
def drive(gen: Generator[Any, None, R], on_event: Callable[[Any], object] | None = None) -> R: ...


@overload
def drive(
    gen: Generator[Any, None, R],
    on_event: Callable[[Any], object] | None = None,
    *,
    cancelled: Callable[[], bool],
) -> R | None: ...


def drive(
    gen: Generator[Any, None, R],
    on_event: Callable[[Any], object] | None = None,
    *,
    cancelled: Callable[[], bool] | None = None,
) -> R | None:
    """Run a progress generator to its end and return what it returns (its report).

    Every event it yields goes to ``on_event`` (which may throttle, draw or post it). When
    ``cancelled`` is given it is asked before each step; once it says yes the generator is
    closed where it stopped (between files: what it committed is whole) and None is returned.
    """
    while True:
        if cancelled is not None and cancelled():
            gen.close()
            return None
        try:
            event = next(gen)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        if on_event is not None:
            on_event(event)
