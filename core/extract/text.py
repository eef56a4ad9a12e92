"""Markdown and plain text: decoded safely, chunked by heading and size."""

from __future__ import annotations

import re
from pathlib import Path

from core.model import MediaPart, Piece

MAX_BYTES = 20 * 1024 * 1024
# A chunk this size is a few paragraphs: specific enough to rank well, short enough to
# stay far inside every provider's per-request limit (8,192 tokens for Gemini).
TARGET_CHARS = 1500
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
    from core.extract import ExtractError

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
        # Empty notes stay findable by name.
        return [Piece(kind="note", title=stem, text=stem, locator={})]
    pieces: list[Piece] = []
    for heading_path, body in sections(text):
        title = " › ".join(heading_path) if heading_path else stem
        for chunk in split_size(body.strip(), TARGET_CHARS):
            if not chunk:
                continue
            locator = {"heading": " › ".join(heading_path)} if heading_path else {}
            media = linked_images(chunk, path.parent)
            pieces.append(Piece(kind="note", title=title, text=chunk, locator=locator, media=media))
    if not pieces:
        pieces.append(Piece(kind="note", title=stem, text=text.strip()[:TARGET_CHARS]))
    for piece in pieces:
        if piece.title != stem:
            piece.title = f"{stem} · {piece.title}" if stem not in piece.title else piece.title
    return pieces


def linked_images(chunk: str, folder: Path) -> list[MediaPart]:
    """The images a chunk embeds that exist beside the note: sent with its text as one input.

    Links resolve relative to the note's folder; web links and missing files are ignored.
    The indexer drops any that lie outside the indexed folders or in a local-only one.
    """
    from urllib.parse import unquote

    from core.extract.image import MIME

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
    in_fence = False

    def flush() -> None:
        chunk = "\n".join(body)
        if chunk.strip():
            out.append(([h for _, h in path], chunk))

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
            if current and len(current) + len(unit) + 2 > target:
                chunks.append(current)
                current = unit
            else:
                current = f"{current}\n\n{unit}" if current else unit
    if current:
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
