"""A file whose name is not UTF-8 opens and shows in its folder as itself, not as its key."""

from __future__ import annotations

import os
from pathlib import Path

from core.scan import path_key
from desktop.preview import load_preview
from desktop.reveal import file_url


def test_a_non_utf8_name_opens_the_real_file(tmp_path: Path) -> None:
    raw = os.path.join(os.fsencode(tmp_path), b"caf\xe9.md")
    with open(raw, "wb") as f:
        f.write(b"# Cafe\nespresso\n")
    key = path_key(os.fsdecode(raw))
    assert key.endswith("caf\\xe9.md")  # what the index stores and the results carry
    url = file_url(key)
    assert bytes(url.toEncoded().data()).endswith(b"/caf%E9.md")
    loaded = load_preview(key, "note", {}, tmp_path / "cache")
    assert loaded.path == key and "espresso" in loaded.text
    literal = path_key(tmp_path / "caf\\xe9.md")
    assert bytes(file_url(literal).toEncoded().data()).endswith(b"/caf%5Cxe9.md")
