"""Bad input to the `loci` CLI ends in one clear line (exit 1), never a traceback, and a
failed change of provider or dims is not saved."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.test_cli import hits, loci
from tests.helpers import write

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def one_line_error(proc: subprocess.CompletedProcess[str], *words: str) -> None:
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith("loci: "), proc.stderr
    for w in words:
        assert w in proc.stderr, proc.stderr


def settings_file() -> Path:
    return Path(os.environ["LOCI_CONFIG_DIR"]) / "settings.toml"


@pytest.fixture
def indexed(tmp_path: Path) -> Path:
    root = tmp_path / "notes"
    write(root / "cats.md", "# Cats\nOur grey tabby cat sleeps on the sofa.\n")
    write(root / "bikes.md", "# Bikes\nReplace the chain on the bike.\n")
    loci("index", str(root))
    return root


def test_bad_search_options(indexed: Path) -> None:
    for limit in ("-5", "0", "-1"):
        one_line_error(loci("search", "cat", "--limit", limit, check=False), "--limit")
    assert hits("grey cat", "--since", "99999999d")[0]["path"].endswith("cats.md")
    one_line_error(loci("recall", str(indexed / "cats.md"), "--limit", "0", check=False))


def test_searching_with_an_empty_file_is_one_line(indexed: Path) -> None:
    write(indexed / "empty.md", "")
    loci("index")
    one_line_error(
        loci("search", "--file", str(indexed / "empty.md"), check=False), "nothing to search with"
    )


def test_failed_provider_or_dims_change_is_not_saved(indexed: Path) -> None:
    before = settings_file().read_text()
    one_line_error(loci("index", "--dims", "-5", check=False), "--dims")
    one_line_error(loci("index", "--dims", "1536", check=False), "Gemini")  # local: fixed size
    env = {**os.environ, "GEMINI_API_KEY": "k"}  # refused before any call is made
    one_line_error(loci("index", "--provider", "gemini", "--dims", "5", env=env, check=False))
    no_key = loci("index", "--provider", "gemini", check=False)
    one_line_error(no_key, "API key", "not changed")
    assert settings_file().read_text() == before
    # Nothing was switched: status and search work as before.
    assert loci("status").returncode == 0
    assert hits("grey cat")[0]["path"].endswith("cats.md")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("excludes = 5\n", ["excludes", "list of strings"]),
        ('dims = "big"\n', ["dims", "whole number"]),
        ('folders = "notalist"\n', ["folders", "list of strings"]),
        ('keep_running_in_tray = "yes"\ntheme = "pink"\n', ["true or false", "theme"]),
    ],
)
def test_bad_settings_values(tmp_path: Path, content: str, words: list[str]) -> None:
    settings_file().parent.mkdir(parents=True, exist_ok=True)
    settings_file().write_text(content)
    for command in (["status"], ["search", "cat"], ["index"]):
        one_line_error(loci(*command, check=False), "settings file", *words)


def test_settings_file_that_is_a_folder(tmp_path: Path) -> None:
    settings_file().mkdir(parents=True)
    one_line_error(loci("status", check=False), "cannot be read")


def test_status_into_a_closed_pipe(indexed: Path) -> None:
    proc = subprocess.run(
        f"{sys.executable} -m core.cli status | head -1",
        shell=True, capture_output=True, text=True, cwd=REPO, timeout=120,
    )  # fmt: skip
    assert proc.stdout.startswith("Folders:") and proc.stderr == "", proc.stderr


def test_disk_full_is_one_line_and_loses_nothing(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root (CI runs as root)")
    small = tmp_path / "small"
    small.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=900k", "tmpfs", str(small)])
    if mounted.returncode != 0:
        pytest.skip("this machine does not allow mounting a tmpfs")
    try:
        root = tmp_path / "notes"
        for i in range(400):
            write(root / f"n{i:03}.md", f"# Note {i}\n" + f"words about topic {i} " * 60)
        env = {**os.environ, "LOCI_DATA_DIR": str(small / "data")}
        full = loci("index", str(root), env=env, check=False)
        one_line_error(full, "disk is full")
        assert full.stderr.count("\n") == 1
        status = loci("status", env=env, check=False)  # the index is still readable
        assert status.returncode == 0, status.stderr
    finally:
        subprocess.run(["umount", "-l", str(small)])
