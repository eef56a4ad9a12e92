"""Crash safety and the index lock, with Loci's sync running as a real process.

The process (``tests/e2e/sync_driver.py``: ``loci watch`` over the hash embedder) is
SIGKILLed at random moments — during the start-up scan, a watched batch, a commit,
maintenance — and after each kill the index must check out consistent. A last run must then
complete it exactly.
"""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from core.extract import extract
from core.index import sha256_of
from core.store import IndexIdentity, Store
from tests.helpers import write

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
IDENT = IndexIdentity("test", "hash-v1", 64)
KILLS = 20
WORDS = "cat dog owl heron lynx river tree stone cloud rain sun moon salt bread tea".split()


def driver(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-u", "-m", "tests.e2e.sync_driver", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
    )


def run_driver(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-u", "-m", "tests.e2e.sync_driver", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def wait_for_line(proc: subprocess.Popen[str], text: str, timeout: float = 30) -> str:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.1)
        if ready:
            line = proc.stdout.readline()
            if not line:
                break
            seen.append(line)
            if text in line:
                return line
    err = proc.stderr.read() if proc.poll() is not None and proc.stderr else ""
    raise AssertionError(f"no {text!r} from the driver; got {seen}, stderr {err}")


def note_text(rng: random.Random) -> str:
    sections = []
    for _ in range(rng.randint(1, 4)):
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12)))
        sections.append(f"# {rng.choice(WORDS).title()} {rng.randint(0, 999)}\n{words}\n")
    return "\n".join(sections)


def mutate(root: Path, rng: random.Random, serial: list[int]) -> None:
    """Edit, add, delete, rename and move some notes: work for the next run."""
    existing = sorted(root.rglob("*.md"))
    for p in rng.sample(existing, min(len(existing), rng.randint(5, 25))):
        write(p, note_text(rng))
    for _ in range(rng.randint(1, 6)):
        serial[0] += 1
        write(root / f"folder{rng.randint(0, 4)}" / f"new{serial[0]}.md", note_text(rng))
    existing = sorted(root.rglob("*.md"))
    for p in rng.sample(existing, 2):
        p.unlink()
    src = rng.choice(sorted(root.rglob("*.md")))
    serial[0] += 1
    dest = root / f"folder{rng.randint(0, 4)}" / f"moved{serial[0]}.md"
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.replace(src, dest)


def read_index(data: Path) -> tuple[dict[str, dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    store = Store.open(data, IDENT)
    files = store.files_table.to_arrow().to_pylist()
    pieces = store.pieces.to_arrow().select(["id", "path", "piece", "sha256"]).to_pylist()
    ids = [p["id"] for p in pieces]
    assert len(ids) == len(set(ids)), "duplicate piece ids"
    paths = [f["path"] for f in files]
    assert len(paths) == len(set(paths)), "duplicate file rows"
    by_path: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in pieces:
        by_path[p["path"]].append(p)
    store.vectors()  # readable: the search matrix loads
    return {f["path"]: f for f in files}, by_path


def check_consistent(data: Path) -> dict[str, dict[str, Any]]:
    files, pieces = read_index(data)
    for path, ps in pieces.items():
        assert path in files, f"{path}: pieces without a file row"
        assert sorted(p["piece"] for p in ps) == list(range(len(ps))), f"{path}: half its pieces"
        assert len({p["sha256"] for p in ps}) == 1, f"{path}: pieces of two versions mixed"
    for path, f in files.items():
        ps = pieces.get(path, [])
        if f["status"] == "indexed":
            assert len(ps) == f["pieces"], f"{path}: marked indexed, pieces missing"
            assert all(p["sha256"] == f["sha256"] for p in ps), f"{path}: stale pieces"
        elif f["status"] in ("error", "unreadable"):
            assert not ps, f"{path}: an error row with pieces"
    return files


def check_complete(data: Path, root: Path) -> None:
    files = check_consistent(data)
    on_disk = {str(p): p for p in root.rglob("*.md")}
    assert set(files) == set(on_disk)
    for key, path in on_disk.items():
        f = files[key]
        assert f["status"] == "indexed", (key, f["status"], f["error"])
        assert f["sha256"] == sha256_of(path)
        assert f["pieces"] == len(extract(path))


def test_sigkill_at_random_points_never_corrupts_the_index(tmp_path: Path) -> None:
    rng = random.Random(20261127)  # reproducible kill points and edits
    root, data = tmp_path / "notes", tmp_path / "data"
    for i in range(120):
        write(root / f"folder{i % 5}" / f"note{i}.md", note_text(rng))
    serial = [0]
    states: dict[str, int] = defaultdict(int)
    for round_ in range(KILLS):
        if round_:
            mutate(root, rng, serial)
        proc = driver("watch", str(data), str(root), "--small-batches")
        try:
            wait_for_line(proc, "watching")
            if round_ % 3 == 2:  # change files under the running watcher too
                time.sleep(rng.uniform(0, 0.4))
                mutate(root, rng, serial)
            if round_ % 2:  # aimed: inside one of the run's commits
                for _ in range(rng.randint(1, 2)):
                    wait_for_line(proc, "writing")
                time.sleep(rng.uniform(0, 0.03))
            else:  # anywhere: the scan, a batch, maintenance, idle
                time.sleep(rng.uniform(0, 1.0))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=30)
        files = check_consistent(data)
        for f in files.values():
            states[f["status"]] += 1
    # The aimed kills landed mid-write: interrupted files were seen.
    assert states["pending"] > 0, dict(states)
    done = run_driver("watch", str(data), str(root), "--exit-when-idle", timeout=120)
    assert done.returncode == 0, done.stderr
    check_complete(data, root)


def test_second_writer_is_refused_readers_share_and_sigterm_stops_cleanly(
    tmp_path: Path,
) -> None:
    root, data = tmp_path / "notes", tmp_path / "data"
    for i in range(20):
        write(root / f"n{i}.md", f"# N{i}\nnote number {i}\n")
    watcher = driver("watch", str(data), str(root))
    try:
        wait_for_line(watcher, "up to date")
        second = run_driver("index", str(data), str(root))
        assert second.returncode == 1
        assert f"another Loci process (pid {watcher.pid}" in second.stderr
        assert "Searching works meanwhile" in second.stderr
        another_watch = run_driver("watch", str(data), str(root))
        assert another_watch.returncode == 1 and "Only one Loci" in another_watch.stderr
        reader = run_driver("count", str(data))
        assert reader.returncode == 0 and reader.stdout.strip() == "files 20"
        note = write(root / "while-watching.md", "# Late\nwritten while another was refused\n")
        wait_for_line(watcher, f"indexed  {note}")
    finally:
        watcher.send_signal(signal.SIGTERM)
        out, err = watcher.communicate(timeout=30)
    assert watcher.returncode == 0, err
    assert "stopped" in out
    after = run_driver("index", str(data), str(root))
    assert after.returncode == 0, after.stderr
    check_complete(data, root)


def test_restart_after_a_kill_redoes_an_interrupted_folder(tmp_path: Path) -> None:
    """A kill in the first seconds of a fresh index: the restart indexes everything once."""
    root, data = tmp_path / "notes", tmp_path / "data"
    rng = random.Random(7)
    for i in range(60):
        write(root / f"n{i}.md", note_text(rng))
    proc = driver("watch", str(data), str(root), "--small-batches")
    try:
        wait_for_line(proc, "watching")
        time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    check_consistent(data)
    (root / "n0.md").unlink()  # deleted while Loci was down
    done = run_driver("watch", str(data), str(root), "--exit-when-idle", timeout=120)
    assert done.returncode == 0, done.stderr
    check_complete(data, root)
