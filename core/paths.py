"""Path keys: how a file's path is stored in the index and shown, byte-exact on any file
system. A leaf module (standard library only), so the data model and the scanner share it."""

from __future__ import annotations

import os
import re
from pathlib import Path


def storable(text: str) -> str:
    """``text`` as valid UTF-8: bytes of a non-UTF-8 file name (surrogate-escaped by Python)
    become ``\\xNN`` escapes, so the index can store and show them."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def path_key(path: Path | str) -> str:
    """The path as stored in the index: valid UTF-8, and one key per file.

    A byte that is not UTF-8 (Python holds it as a surrogate escape) becomes ``\\xNN`` and,
    so that no real name can look like such an escape, a backslash becomes ``\\\\``:
    ``caf<0xE9>.md`` and a file literally named ``caf\\xe9.md`` get two keys. Paths without
    a backslash or a stray byte (nearly all) are their own key. ``fs_path`` reverses it.
    """
    text = os.fspath(path)
    if os.sep == "\\":  # Windows names are Unicode and full of backslashes: no escaping
        return storable(text)
    if "\\" not in text:
        try:
            text.encode("utf-8")
            return text
        except UnicodeEncodeError:
            pass
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif "\udc80" <= ch <= "\udcff":
            out.append(f"\\x{ord(ch) - 0xDC00:02x}")
        else:
            out.append(storable(ch))
    return "".join(out)


_ESCAPE = re.compile(r"\\(\\|x[89a-f][0-9a-f])")


def fs_path(key: str) -> str:
    """The file a ``path_key`` names, as a ``str`` that ``open()`` and ``os`` functions take
    (stray bytes come back as surrogate escapes)."""
    if os.sep == "\\" or "\\" not in key:
        return key

    def back(m: re.Match[str]) -> str:
        code = m.group(1)
        return "\\" if code == "\\" else chr(0xDC00 + int(code[1:], 16))

    return _ESCAPE.sub(back, key)


def display_path(key: str) -> str:
    """The path to show a person: the real one when it is valid UTF-8, else the key (its
    ``\\xNN`` escapes stand for the bytes that are not)."""
    real = fs_path(key)
    try:
        real.encode("utf-8")
        return real
    except UnicodeEncodeError:
        return key
