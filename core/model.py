"""The engine's plain data: pieces of files, progress events, search hits."""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TypedDict, TypeVar, overload

from core.paths import display_path

KINDS = ("note", "image", "pdf", "audio", "video")


class FileStatus(StrEnum):
    """A file's state in the index, stored (and sent, and printed) as its plain string."""

    INDEXED = "indexed"
    ERROR = "error"  # cannot be read or parsed: retried when the file changes
    UNREADABLE = "unreadable"  # permissions and the like: retried every run
    PENDING = "pending"  # embedding failed for a passing reason (or was cut short): retried

    @property
    def failed(self) -> bool:
        """An error of the file itself (counted and listed as an error)."""
        return self in (FileStatus.ERROR, FileStatus.UNREADABLE)


# What `loci errors` lists: every file not indexed.
FAILED_OR_PENDING = (FileStatus.ERROR, FileStatus.UNREADABLE, FileStatus.PENDING)


class Locator(TypedDict, total=False):
    """Where a piece sits in its file: one of three shapes, or a photo's facts, or nothing.

    ``{"heading": "A › B"}`` (a note's section), ``{"pages": [1, 6]}`` (a PDF's pages,
    first and last), ``{"seconds": [0.0, 180.0]}`` (a recording's segment); a photo's
    ``pixels`` ([width, height]), ``taken`` (ISO time), ``gps`` ([lat, lon]) and ``shows``
    (why no tags). Stored as this JSON in the ``locator`` column and sent as it is.
    """

    heading: str
    pages: list[int]
    seconds: list[float]
    pixels: list[int]
    taken: str
    gps: list[float]
    shows: str


def clock(seconds: float) -> str:
    """``02:55`` (or ``1:02:55`` past an hour): how a time in a recording is shown."""
    s = int(seconds)
    return (
        f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
        if s >= 3600
        else f"{s // 60:02d}:{s % 60:02d}"
    )


def locator_text(loc: Locator, heading: str = "§ ", *, short: bool = False) -> str:
    """Where a piece sits, as shown: ``§ Heading``, ``p. 3`` / ``pp. 1–6``, ``02:55–05:55``.

    ``short`` is the window's form: the innermost heading only (``§ B`` for ``A › B``), and a
    photo's size with what the tags saw (``451×300 · no recognisable subject``).
    """
    if loc.get("heading"):
        text = str(loc["heading"])
        return heading + (text.split(" › ")[-1] if short else text)
    if loc.get("pages"):
        a, b = loc["pages"][0], loc["pages"][-1]
        return f"p. {a}" if a == b else f"pp. {a}–{b}"
    if short and loc.get("pixels"):
        size = "×".join(str(n) for n in loc["pixels"][:2])
        return f"{size} · {loc['shows']}" if loc.get("shows") else size
    if loc.get("seconds"):
        start, end = loc["seconds"][:2]
        return f"{clock(start)}–{clock(end)}"
    return ""


@dataclass(frozen=True)
class EngineStatus:
    """What ``loci status`` reports; ``as_dict()`` is its ``--json`` line and wire form."""

    folders: list[str]
    demo: bool
    provider: str
    model: str
    dims: int
    index: str  # the index folder
    index_bytes: int
    usage_tokens: int  # tokens the provider reported, all runs together
    spent_usd: float
    budget_usd: float
    files: int  # indexed files of the configured folders
    errors: int
    pending: int
    pieces: int
    outside: int  # files of folders no longer in the settings (they leave at the next run)
    sync: str = ""  # the resident engine's sync state (idle, indexing …) when asked for it

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if not self.sync:
            del out["sync"]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EngineStatus:
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


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
    locator: Locator = field(default_factory=lambda: Locator())
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
    locator: Locator
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
