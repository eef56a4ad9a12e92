"""First run from the command line: the demo is a sample that leaves; clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.config import demo_folder
from tests.e2e.test_cli import loci
from tests.helpers import write

pytestmark = pytest.mark.slow


def test_the_demo_leaves_once_a_folder_is_added(tmp_path: Path) -> None:
    first = loci("index").stdout
    assert "demo folder, a sample" in first
    status = loci("status").stdout
    assert "the demo folder, a sample" in status and "loci index FOLDER" in status
    assert json.loads(loci("status", "--json").stdout)["demo"] is True

    mine = tmp_path / "mine"
    write(mine / "pixel.md", "# Pixel\nOur cat Pixel sleeps in the laundry basket.\n")
    write(mine / "roof.md", "# Roof\nTwo tiles slipped after the storm.\n")
    out = loci("index", str(mine)).stdout
    assert "demo folder leaves the index" in out
    st = json.loads(loci("status", "--json").stdout)
    assert (st["folders"], st["demo"], st["files"], st["outside"]) == ([str(mine)], False, 2, 0)
    assert "demo folder" not in loci("status").stdout
    found = [
        json.loads(x)
        for x in loci("search", "where does my cat sleep", "--json").stdout.splitlines()
    ]
    assert found and found[0]["path"] == str(mine / "pixel.md")
    assert not any(h["path"].startswith(str(demo_folder())) for h in found)


def test_search_says_what_is_wrong_with_a_folder_or_a_kind(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    write(mine / "notes" / "pixel.md", "# Pixel\nOur cat Pixel sleeps in the laundry basket.\n")
    loci("index", str(mine))

    bad = loci("search", "cat", "--folder", "/nonexistent", check=False)
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr.strip().splitlines() == [
        f"loci: --folder /nonexistent is not one of Loci's folders (they are: {mine})"
    ]
    outside = loci("search", "cat", "--folder", str(tmp_path), check=False)
    assert outside.returncode == 1 and "not one of Loci's folders" in outside.stderr
    inside = loci("search", "cat sleeps", "--folder", str(mine / "notes"), "--json").stdout
    assert json.loads(inside.splitlines()[0])["path"] == str(mine / "notes" / "pixel.md")

    typo = loci("search", "cat", "--kind", "nots", check=False)
    assert typo.returncode == 1
    assert typo.stderr.strip() == (
        "loci: --kind: no kind 'nots' (did you mean note?); "
        "the kinds are note, image, pdf, audio, video"
    )
    plural = loci("search", "cat sleeps", "--kind", "Notes", "--json").stdout
    assert json.loads(plural.splitlines()[0])["kind"] == "note"
