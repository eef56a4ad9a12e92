"""Filter values as a person types them (``--since 7d``, ``--kind photos``, ``--folder ~/x``),
checked and normalised; a ``CliError`` saying what to type otherwise. Shared by the ``loci``
commands and the MCP tools."""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from core.errors import CliError
from core.model import KINDS


def parse_since(text: str) -> float:
    m = re.fullmatch(r"(\d+)\s*([dwmy])", text.strip())
    if m:
        n, unit = int(m.group(1)), m.group(2)
        days = {"d": 1, "w": 7, "m": 30, "y": 365}[unit] * n
        try:
            return max(0.0, (datetime.now() - timedelta(days=days)).timestamp())
        except (OverflowError, ValueError, OSError):
            return 0.0  # further back than any file: every file qualifies
    try:
        return datetime.fromisoformat(text).timestamp()
    except (ValueError, OverflowError, OSError):
        raise CliError(
            f"--since: not a date: {text!r} (use 2026-03-01, 7d, 2w, 6m or 1y)"
        ) from None


def parse_kind(text: str) -> str:
    """A kind as the user may type it (``Notes``, ``pdfs``, ``photo``); a CliError otherwise."""
    import difflib  # only for a typo: kept off the start-up path of every `loci` command

    word = text.strip().lower()
    aliases = {"photo": "image", "picture": "image", "text": "note", "memo": "audio"}
    for candidate in (word, word.removesuffix("s"), word.removesuffix("es")):
        candidate = aliases.get(candidate, candidate)
        if candidate in KINDS:
            return candidate
    close = difflib.get_close_matches(word, KINDS, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    raise CliError(f"--kind: no kind {text!r}{hint}; the kinds are {', '.join(KINDS)}")


def check_folder(text: str, settings: Any) -> str:
    """``--folder``: one of Loci's folders or a folder inside one; a CliError otherwise."""
    folder = Path(os.path.abspath(os.path.expanduser(text)))
    roots = [Path(os.path.abspath(r)) for r in settings.effective_folders()]
    inside = any(folder == r or r in folder.parents for r in roots)
    if not inside:
        listed = ", ".join(str(r) for r in roots) or "none yet: add one with `loci index FOLDER`"
        raise CliError(f"--folder {folder} is not one of Loci's folders (they are: {listed})")
    if not folder.is_dir() and folder not in roots:  # a root may be an unplugged drive
        raise CliError(f"--folder {folder}: no such folder inside Loci's folders")
    return str(folder)
