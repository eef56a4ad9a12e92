"""Markdown and plain text: decoded safely, chunked by heading and size."""

from __future__ import annotations

import re
from pathlib import Path

from core.errors import ExtractError
from core.extract.image import MIME
from core.model import Locator, MediaPart, Piece

MAX_BYTES = 20 * 1024 * 1024
# A chunk this size is a few paragraphs: specific enough to rank well, short enough to
# stay far inside every provider's per-request limit (8,192 tokens for Gemini).
TARGET_CHARS = 1500
# A chunk shorter than this joins its neighbour (the next one, or the one before at the end).
MIN_CHUNK_CHARS = 300
# ![alt](path "title") and Obsidian's ![[path|size]]
IMAGE_LINK = re.compile(
    r"!\[[^\]]*\]\(\s*(?:<([^>]+)>|([^)\s]+))(?:\s+\"[^\"]*\")?\s*\)"
    r"|!\[\[([^\]|#]+)(?:[|#][^\]]*)?\]\]"
)
MAX_LINKED_IMAGES = 6  # Gemini Embedding 2 takes at most 6 images per request
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")


def decode(raw: bytes) -> str:
    """Text of ``raw`` in whatever encoding it is in; never raises on bad bytes."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw[:200_000]).best()
    encoding = best.encoding if best is not None else ""
    # Short Western texts look alike in every single-byte Latin code page and the detector
    # guesses among them; cp1252 (a superset of Latin-1) is by far the likeliest source.
    if not encoding or encoding.startswith(("cp125", "latin", "iso8859", "mac_")):
        encoding = "cp1252"
    return raw.decode(encoding, errors="replace")


def looks_binary(raw: bytes) -> bool:
    """A NUL byte anywhere (not only in the head: a text head can hide a binary tail)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    return b"\x00" in raw


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufffd]")


def looks_garbled(text: str) -> bool:
    """Mostly undecodable or control characters: binary data that happens to have no NUL."""
    return len(_CONTROL.findall(text)) > max(16, len(text) // 20)


def extract_text(path: Path) -> list[Piece]:
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise ExtractError(f"text file too large ({size // (1024 * 1024)} MB; limit 20 MB)")
    raw = path.read_bytes()
    if looks_binary(raw):
        raise ExtractError("not a text file (binary content)")
    text = decode(raw).replace("\r\n", "\n")
    if looks_garbled(text):
        raise ExtractError("not a text file (binary content)")
    stem = path.stem
    if not text.strip():
        # An empty note is findable by its name (keyword search) but has no meaning to match:
        # a vector of its name alone would come close to any short query.
        return [Piece(kind="note", title=stem, text=name_words(stem), locator={}, embed=False)]
    pieces: list[Piece] = []
    for heading_path, body in sections(text):
        title = " › ".join(heading_path) if heading_path else stem
        for chunk in split_size(body.strip(), TARGET_CHARS):
            if not chunk:
                continue
            locator: Locator = {"heading": " › ".join(heading_path)} if heading_path else {}
            media = linked_images(chunk, path.parent)
            gist = compact_blocks(chunk)
            pieces.append(
                Piece(
                    kind="note",
                    title=title,
                    text=chunk,
                    locator=locator,
                    media=media,
                    embed_text=gist if gist != chunk else "",
                )
            )
    if not pieces:
        pieces.append(Piece(kind="note", title=stem, text=text.strip()[:TARGET_CHARS]))
    lead = lead_piece(text, stem, pieces)
    if lead is not None:
        pieces.insert(0, lead)
    for piece in pieces:
        if piece.title != stem:
            piece.title = f"{stem} · {piece.title}" if stem not in piece.title else piece.title
    return pieces


def name_words(stem: str) -> str:
    """'grocery-list_2026' -> 'grocery list 2026': a file name as words for keyword search."""
    return re.sub(r"[_\-.]+", " ", stem).strip() or stem


# A lead is worth its own piece only when the note's first chunk says much more than it (at
# least this many times its length, and LEAD_CHARS): otherwise that chunk already is the lead.
LEAD_RATIO = 2
LEAD_CHARS = 600
LEAD_MIN = 200


def lead_piece(text: str, stem: str, pieces: list[Piece]) -> Piece | None:
    """The note's title and first paragraph as one piece: what the note is about, which a
    long note full of tables, lists or later sections embeds less sharply than its lead."""
    title = ""
    para: list[str] = []
    in_fence = False
    for line in text.split("\n"):
        if FENCE.match(line):
            in_fence = not in_fence
            if para:
                break
            continue
        heading = None if in_fence else HEADING.match(line)
        if heading:
            if para:
                break
            title = title or heading.group(2)
            continue
        if in_fence or line.lstrip().startswith("|"):
            if para:
                break
            continue
        if not line.strip():
            # A one-line first paragraph ("Python Library Documentation: module os") says
            # too little: the lead runs on into the next paragraphs up to LEAD_MIN.
            if para and len(" ".join(para)) >= LEAD_MIN:
                break
            continue
        para.append(line.strip())
        if len(" ".join(para)) >= LEAD_CHARS:
            break
    lead = " ".join(para)[:LEAD_CHARS]
    if not lead:
        return None
    if len(pieces[0].text) < max(LEAD_RATIO * len(lead), LEAD_CHARS):
        return None  # the first chunk is short, or about as short as the lead: it is one
    text_out = f"{title}\n\n{lead}" if title else lead
    return Piece(kind="note", title=title or stem, text=text_out, locator={})


def compact_blocks(chunk: str, keep: int = 3) -> str:
    """The chunk with tables and code blocks longer than ``keep`` rows cut to their first
    ``keep`` rows and an ellipsis: they stay searchable by keyword, but a page of options
    no longer decides what the chunk means."""
    out: list[str] = []
    block: list[str] = []
    kind = ""  # "code" inside a fence, "table" inside a run of | rows

    def close() -> None:
        nonlocal block
        out.extend(block[: keep + (1 if kind == "table" else 0)])
        if len(block) > keep + 1:
            out.append("…")
        block = []

    for line in chunk.split("\n"):
        if kind == "code":
            if FENCE.match(line):
                close()
                kind = ""
            elif line.strip():
                block.append(line)
            continue
        if FENCE.match(line):
            if kind == "table":
                close()
            kind = "code"
            continue
        if line.lstrip().startswith("|"):
            if kind != "table":
                kind = "table"
            if not re.match(r"^\s*\|[\s:|-]+\|?\s*$", line):  # skip the |---| rule
                block.append(line)
            continue
        if kind == "table":
            close()
            kind = ""
        out.append(line)
    if block:
        close()
    return "\n".join(out).strip()


def linked_images(chunk: str, folder: Path) -> list[MediaPart]:
    """The images a chunk embeds that exist beside the note: sent with its text as one input.

    Links resolve relative to the note's folder; web links and missing files are ignored.
    The indexer drops any that lie outside the indexed folders or in a local-only one.
    """
    from urllib.parse import unquote

    parts: list[MediaPart] = []
    seen: set[Path] = set()
    for match in IMAGE_LINK.finditer(chunk):
        target = unquote(next((g for g in match.groups() if g), "")).strip()
        if not target or re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
            continue  # http://, data:, file: … never fetched
        candidate = (folder / target).resolve()
        mime = MIME.get(candidate.suffix.lower())
        if mime is None or candidate in seen or not candidate.is_file():
            continue
        seen.add(candidate)
        parts.append(MediaPart(mime=mime, path=candidate))
        if len(parts) == MAX_LINKED_IMAGES:
            break
    return parts


def sections(text: str) -> list[tuple[list[str], str]]:
    """Split Markdown into (heading path, body) sections; code fences are not headings."""
    out: list[tuple[list[str], str]] = []
    path: list[tuple[int, str]] = []
    body: list[str] = []
    carry: list[str] = []  # headings with nothing under them, waiting for a section's text
    in_fence = False

    def flush() -> None:
        nonlocal carry
        if not any(ln.strip() and not HEADING.match(ln) for ln in body):
            # A heading alone means nothing to search: it leads into the section below.
            carry += [ln for ln in body if ln.strip()]
            return
        out.append(([h for _, h in path], "\n".join(carry + body)))
        carry = []

    for line in text.split("\n"):
        if FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence else HEADING.match(line)
        if match:
            flush()
            body = [line]
            level = len(match.group(1))
            path = [(lv, h) for lv, h in path if lv < level] + [(level, match.group(2))]
        else:
            body.append(line)
    flush()
    if carry:  # trailing headings: kept with the last section, or alone if that is all
        if out:
            out[-1] = (out[-1][0], out[-1][1] + "\n" + "\n".join(carry))
        else:
            out.append(([h for _, h in path], "\n".join(carry)))
    return out


def split_size(text: str, target: int) -> list[str]:
    """Split at paragraph, then line, then hard boundaries into chunks of about ``target``."""
    if len(text) <= target:
        return [text]
    chunks: list[str] = []
    current = ""
    for para in re.split(r"\n\s*\n", text):
        units = [para] if len(para) <= target else _hard_split(para, target)
        for unit in units:
            # A short piece of text means little alone (and, short, comes close to short
            # queries): it stays with what follows, a little over the target if need be.
            if (
                current
                and len(current) + len(unit) + 2 > target
                and len(current) >= MIN_CHUNK_CHARS
            ):
                chunks.append(current)
                current = unit
            else:
                current = f"{current}\n\n{unit}" if current else unit
    if current:
        # A short tail ("FILE /usr/lib/…", the last line of a list) means little alone and,
        # short, comes close to short queries: it joins the chunk before it.
        if chunks and len(current) < MIN_CHUNK_CHARS:
            chunks[-1] = f"{chunks[-1]}\n\n{current}"
        else:
            chunks.append(current)
    return chunks


def _hard_split(para: str, target: int) -> list[str]:
    parts: list[str] = []
    sentences = re.split(r"(?<=[.!?。])\s+|\n", para)
    current = ""
    for s in sentences:
        if len(s) > target:  # by index: re-slicing the rest each time was quadratic (19 MB: 22 s)
            cut = len(s) - (len(s) % target or target)  # leave a non-empty rest, as before
            parts.extend(s[i : i + target] for i in range(0, cut, target))
            s = s[cut:]
        if current and len(current) + len(s) + 1 > target:
            parts.append(current)
            current = s
        else:
            current = f"{current} {s}" if current else s
    if current:
        parts.append(current)
    return parts
