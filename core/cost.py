"""What embedding costs with a paid provider: an estimate before sending, a budget while
sending, and what was spent.

Prices are Gemini Embedding 2's list prices per million input tokens; the Batch API costs
half. Token counts are estimated the way the service counts them: text by its length,
an image (or a PDF page, read as an image) as 258 tokens, sound at 32 tokens a second, video
at 258 tokens a second (the model looks at one frame a second). The estimate never sends
anything and reads little: a note's size, a PDF's page count, a recording's duration from
its container header.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.model import Piece

if TYPE_CHECKING:
    from core.scan import Entry

# $ per 1M tokens, online (Gemini Embedding 2 list prices).
PRICES = {"text": 0.20, "image": 0.45, "audio": 6.50, "video": 12.00}
BATCH_FACTOR = 0.5  # the Batch API costs half
IMAGE_TOKENS = 258  # one image, or one PDF page
AUDIO_TOKENS_PER_S = 32
VIDEO_TOKENS_PER_S = 258
PDF_WINDOW_PAGES = 6
# What each kind of file is mostly billed as, for the estimate's rows.
KIND_ORDER = ("note", "image", "pdf", "audio", "video")


def estimate_tokens(text: str) -> int:
    """A cheap upper-leaning token estimate: ~4 ASCII characters a token, 1 token otherwise.

    Four characters a token holds for English prose; scripts such as CJK run close to a
    token a character, so counting those one each keeps the estimate from undershooting.
    The budget a request is cut to (core.embed.gemini_prefixes) and its price use this one.
    """
    ascii_chars = len(text.encode("ascii", "ignore"))
    return math.ceil(ascii_chars / 4) + (len(text) - ascii_chars)


def piece_tokens(piece: Piece) -> dict[str, int]:
    """Estimated tokens of one piece as it is sent, by modality."""
    out = {"text": estimate_tokens(piece.text) + estimate_tokens(piece.title) + 8}  # + task prefix
    span = piece.locator.get("seconds")
    seconds = float(span[1]) - float(span[0]) if span else 0.0
    for m in piece.media:
        mime = m.mime.lower()
        if mime.startswith("image/"):
            out["image"] = out.get("image", 0) + IMAGE_TOKENS
        elif mime == "application/pdf":
            pages = piece.locator.get("pages")
            count = int(pages[1]) - int(pages[0]) + 1 if pages else 1
            out["image"] = out.get("image", 0) + IMAGE_TOKENS * count
        elif mime.startswith("audio/"):
            out["audio"] = out.get("audio", 0) + math.ceil(seconds * AUDIO_TOKENS_PER_S)
        elif mime.startswith("video/"):
            out["video"] = out.get("video", 0) + math.ceil(seconds * VIDEO_TOKENS_PER_S)
    return out


def dollars(tokens: dict[str, int], *, batch: bool = False) -> float:
    cost = sum(PRICES.get(m, PRICES["text"]) * n for m, n in tokens.items()) / 1e6
    return cost * BATCH_FACTOR if batch else cost


def piece_cost(piece: Piece, *, batch: bool = False) -> float:
    return dollars(piece_tokens(piece), batch=batch)


def pieces_cost(pieces: Iterable[Piece], *, batch: bool = False) -> float:
    return sum(piece_cost(p, batch=batch) for p in pieces)


# --- the estimate before sending --------------------------------------------------------


@dataclass
class Row:
    kind: str
    files: int = 0
    tokens: dict[str, int] = field(default_factory=dict)

    @property
    def total_tokens(self) -> int:
        return sum(self.tokens.values())

    def online(self) -> float:
        return dollars(self.tokens)

    def batch(self) -> float:
        return dollars(self.tokens, batch=True)


@dataclass
class Estimate:
    rows: dict[str, Row] = field(default_factory=dict)
    local_only: int = 0  # files that would be stored for keyword search, never sent

    def add(self, kind: str, tokens: dict[str, int]) -> None:
        row = self.rows.setdefault(kind, Row(kind))
        row.files += 1
        for m, n in tokens.items():
            row.tokens[m] = row.tokens.get(m, 0) + n

    def ordered(self) -> list[Row]:
        known = [self.rows[k] for k in KIND_ORDER if k in self.rows]
        return known + [r for k, r in self.rows.items() if k not in KIND_ORDER]

    @property
    def files(self) -> int:
        return sum(r.files for r in self.rows.values())

    @property
    def tokens(self) -> int:
        return sum(r.total_tokens for r in self.rows.values())

    def online(self) -> float:
        return sum(r.online() for r in self.rows.values())

    def batch(self) -> float:
        return sum(r.batch() for r in self.rows.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "rows": [
                {
                    "kind": r.kind,
                    "files": r.files,
                    "tokens": r.total_tokens,
                    "online_usd": round(r.online(), 4),
                    "batch_usd": round(r.batch(), 4),
                }
                for r in self.ordered()
            ],
            "files": self.files,
            "tokens": self.tokens,
            "online_usd": round(self.online(), 4),
            "batch_usd": round(self.batch(), 4),
            "local_only_files": self.local_only,
        }


def file_tokens(path: Path, kind: str) -> dict[str, int]:
    """Estimated tokens to embed a whole file, from cheap reads only (no extraction)."""
    try:
        size = path.stat().st_size
    except OSError:
        return {}
    if kind == "note":
        return {"text": math.ceil(size / 4)}
    if kind == "image":
        return {"image": IMAGE_TOKENS, "text": 16}
    if kind == "pdf":
        pages = _pdf_pages(path)
        return {"image": IMAGE_TOKENS * pages, "text": 400 * pages}
    if kind in ("audio", "video"):
        seconds = _duration(path)
        if kind == "audio":
            return {"audio": math.ceil(seconds * AUDIO_TOKENS_PER_S), "text": int(seconds * 3)}
        windows = max(1, math.ceil(seconds / 120))
        return {
            "video": math.ceil(seconds * VIDEO_TOKENS_PER_S),
            "image": IMAGE_TOKENS * windows,  # a keyframe per window
            "text": int(seconds * 3),  # its transcript, ~3 tokens a second of speech
        }
    return {"text": math.ceil(size / 4)}


def _pdf_pages(path: Path) -> int:
    try:
        import pypdfium2 as pdfium

        doc = pdfium.PdfDocument(str(path))
        try:
            return len(doc)
        finally:
            doc.close()
    except Exception:  # noqa: BLE001 - a broken PDF fails when indexed; count one page
        return 1


def _duration(path: Path) -> float:
    try:
        import av

        with av.open(str(path)) as container:
            if container.duration:
                return float(container.duration) / 1e6
            spans = [
                float(s.duration * s.time_base)
                for s in container.streams
                if s.duration is not None and s.time_base is not None
            ]
            return max(spans, default=0.0)
    except Exception:  # noqa: BLE001 - unreadable media fail when indexed; cost nothing
        return 0.0


def estimate(entries: Iterable[Entry], local_only: Sequence[Path] = ()) -> Estimate:
    """What embedding these scanned files would send, by kind. Sends nothing.

    ``local_only``: folders whose files are never sent (counted apart, costing nothing).
    """
    import os

    from core.extract import kind_of

    folders = [str(Path(os.path.abspath(p))).rstrip(os.sep) for p in local_only]
    out = Estimate()
    for entry in entries:
        if entry.error:
            continue
        kind = kind_of(entry.path)
        if kind is None:
            continue
        if any(entry.key == f or entry.key.startswith(f + os.sep) for f in folders):
            out.local_only += 1
            continue
        out.add(kind, file_tokens(entry.path, kind))
    return out


def estimate_folders(settings: Any, indexer: Any = None) -> Estimate:
    """The estimate for the configured folders: what ``indexer`` would (re)index in its
    index, or, without one (switching to the paid provider: a new index), every file."""
    from core.scan import Excluder, scan

    roots = settings.effective_folders()
    local_only = [Path(p).expanduser() for p in settings.local_only]
    if indexer is not None:
        todo = indexer.plan(roots)[0]
    else:
        todo = list(scan(roots, Excluder(settings.excludes)))
    return estimate(todo, local_only)


def describe(est: Estimate) -> list[str]:
    """The estimate as a small table, one line a row."""
    lines = [f"{'kind':<6} {'files':>8} {'est. tokens':>14} {'online $':>10} {'batch $':>10}"]
    for r in est.ordered():
        money = f"{r.online():>10.2f} {r.batch():>10.2f}"
        lines.append(f"{r.kind:<6} {r.files:>8,} {r.total_tokens:>14,} {money}")
    total = f"{est.online():>10.2f} {est.batch():>10.2f}"
    lines.append(f"{'total':<6} {est.files:>8,} {est.tokens:>14,} {total}")
    return lines


PRICE_NOTE = (
    "Gemini Embedding 2 list prices per 1M tokens: text $0.20, images and PDF pages $0.45, "
    "audio $6.50, video $12.00; the Batch API (`--batch`) costs half. Estimates: the "
    "service's bill may differ."
)


# --- the budget while sending -----------------------------------------------------------


@dataclass
class Budget:
    """Dollars a run may spend (``limit`` 0: no limit) and what the index has spent so far."""

    limit: float
    spent: float = 0.0

    def allows(self, cost: float) -> bool:
        return self.limit <= 0 or self.spent + cost <= self.limit + 1e-9

    @property
    def left(self) -> float:
        return max(0.0, self.limit - self.spent) if self.limit > 0 else math.inf
