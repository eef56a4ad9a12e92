"""``loci watch`` among pipes and device links: it never hangs, and SIGTERM always stops it."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from tests.e2e.test_crash import driver, run_driver, wait_for_line
from tests.helpers import write

pytestmark = pytest.mark.slow


def test_watch_skips_fifos_and_dev_zero_and_sigterm_stops_it(tmp_path: Path) -> None:
    root, data = tmp_path / "notes", tmp_path / "data"
    write(root / "a.md", "# A\nan ordinary note\n")
    os.mkfifo(root / "pipe.md")
    (root / "zero.md").symlink_to("/dev/zero")
    watcher = driver("watch", str(data), str(root))
    try:
        wait_for_line(watcher, "up to date", timeout=30)
        os.mkfifo(root / "late-pipe.txt")  # seen by the watcher, never opened
        (root / "late-zero.txt").symlink_to("/dev/zero")
        note = write(root / "after.md", "# After\nwritten after the pipes\n")
        wait_for_line(watcher, f"indexed  {note}", timeout=30)
    finally:
        started = time.monotonic()
        watcher.send_signal(signal.SIGTERM)
        out, err = watcher.communicate(timeout=30)
    assert time.monotonic() - started < 15
    assert watcher.returncode == 0, err
    # The lock went with the process: an index run is not refused.
    after = run_driver("index", str(data), str(root))
    assert after.returncode == 0, after.stderr
