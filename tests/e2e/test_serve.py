"""``loci serve`` as a user runs it, and ``loci`` commands answered by it or in-process alike."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.serve import address
from tests import serve_checks
from tests.e2e.test_cli import LOCI, loci
from tests.helpers import write

pytestmark = pytest.mark.slow


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A short private runtime folder (a socket path must stay under ~100 bytes)."""
    folder = Path(tempfile.mkdtemp(prefix="lr", dir="/tmp"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    monkeypatch.delenv("LOCI_NO_SERVER", raising=False)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


SENTENCES = [
    "The lighthouse keeper climbed the stairs at dawn to clean the lamp.",
    "Sourdough needs a lively starter fed with rye flour the night before.",
    "Our grey tabby cat sleeps on the sofa and wakes at six for dinner.",
    "The quarterly budget meeting covered revenue, costs and the hiring plan.",
    "A tram rattles up the hill to the old castle above the river.",
]


@pytest.fixture
def folder(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    root = tmp_path / "memories"
    write(root / "coast" / "lighthouse.md", "# Lighthouse\n" + SENTENCES[0] + "\n")
    write(root / "kitchen" / "bread.md", "# Bread\n" + SENTENCES[1] + "\n")
    write(root / "pets" / "cats.md", "# Miso\n" + SENTENCES[2] + "\n")
    write(root / "work" / "budget.md", "# Budget\n" + SENTENCES[3] + "\n")
    if request.node.get_closest_marker("big_reply"):
        # A long note: a reply with all its pieces is larger than any socket buffer (only
        # the test that needs it pays the ~8 s of embedding its 400 sections).
        body = "\n\n".join(f"## Part {i}\n" + " ".join(SENTENCES * 4) for i in range(400))
        write(root / "archive" / "journal.md", "# Journal\n" + body)
    (root / "broken.txt").write_bytes(b"\x00\x01\x02 binary, not text \x00" * 50)
    return root


class Serve:
    """A running ``loci serve``; its log lines arrive on a queue."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [*LOCI, "serve", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=Path(__file__).parents[2],
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float = 240) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                assert self.proc.poll() is None, "".join(self.log)
                continue
            self.log.append(line)
            if text in line:
                return line
        raise AssertionError(f"no {text!r} in:\n{''.join(self.log)}")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(60)
        self._reader.join(10)  # to the end of its output
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        while not self.lines.empty():
            self.log.append(self.lines.get())
        if code not in (0, -signal.SIGKILL):
            print("".join(self.log))  # shown with the failure: why the server ended so
        return code


@pytest.fixture
def served(folder: Path, runtime: Path) -> Iterator[Serve]:
    server = Serve(str(folder))  # adds the folder and indexes it, as `loci index` would
    server.wait_for("up to date")
    yield server
    server.stop()


def both(*args: str, check: bool = True) -> tuple[subprocess.CompletedProcess[str], ...]:
    """The same command answered by the resident engine and in-process."""
    served = loci(*args, check=check)
    alone = loci(*args, check=check, env={**os.environ, "LOCI_NO_SERVER": "1"})
    return served, alone


def test_commands_print_the_same_with_and_without_the_engine(served: Serve, folder: Path):
    sock = address.socket_path(Path(os.environ["LOCI_DATA_DIR"]))
    assert sock.exists()
    serve_checks.check_private(sock)
    requests_before = serve_checks.call(sock, "hello")  # the server is there and answers
    assert requests_before["protocol"] == 1
    commands = [
        ("search", "a feline pet"),
        ("search", "a feline pet", "--json"),
        ("search", "bread", "--folder", str(folder / "kitchen"), "--limit", "2"),
        ("search", "qqqzzz xylophone", "--kind", "pdf"),
        ("search", "--file", str(folder / "pets" / "cats.md")),
        ("recall", str(folder / "coast" / "lighthouse.md")),
        ("status",),
        ("status", "--json"),
        ("errors",),
    ]
    for cmd in commands:
        a, b = both(*cmd)
        assert a.stdout == b.stdout, cmd
        assert a.stdout.strip(), cmd
    # errors are the same one line either way
    a, b = both("recall", str(folder / "nowhere.md"), check=False)
    assert a.returncode == b.returncode == 1
    assert a.stderr == b.stderr
    assert "not in the index" in a.stderr
    # and the answers above did come from the engine
    hello = serve_checks.call(sock, "hello")
    assert hello["pid"] == served.proc.pid
    cats = json.loads(loci("search", "a feline pet", "--json").stdout.splitlines()[0])
    assert cats["path"].endswith("cats.md")


def test_the_served_index_follows_edits_and_never_locks_out_readers(served: Serve, folder: Path):
    # the writer lock is the server's: indexing is refused, searching is not
    refused = loci("index", check=False)
    assert refused.returncode == 1 and "is updating this index" in refused.stderr
    write(folder / "garden.md", "# Garden\nTomatoes by the fence and basil between them.\n")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        lines = loci("search", "tomato plants", "--json").stdout.splitlines()
        if lines and json.loads(lines[0])["path"].endswith("garden.md"):
            break
        time.sleep(0.2)
    else:
        raise AssertionError("the edit was never found")
    # a second server for the same index is refused by the writer lock, in one line
    second = subprocess.run([*LOCI, "serve"], capture_output=True, text=True, timeout=120)
    assert second.returncode == 1
    assert "is updating this index" in second.stderr and "Traceback" not in second.stderr


@pytest.mark.big_reply
def test_bad_requests_many_clients_and_hang_ups_never_stop_the_server(served: Serve, folder: Path):
    sock = address.socket_path(Path(os.environ["LOCI_DATA_DIR"]))
    serve_checks.check_bad_requests(sock)
    serve_checks.check_concurrent(sock, "a feline pet")
    serve_checks.check_disconnect_mid_reply(sock, str(folder / "archive" / "journal.md"))
    assert served.proc.poll() is None
    # a stopped server removes its socket; commands answer in-process
    assert served.stop() == 0
    assert not sock.exists()
    assert "cats.md" in loci("search", "a feline pet").stdout


def test_a_stale_socket_is_replaced_and_ignored(folder: Path, runtime: Path):
    loci("index", str(folder))
    server = Serve()
    server.wait_for("up to date")
    sock = address.socket_path(Path(os.environ["LOCI_DATA_DIR"]))
    server.proc.kill()  # SIGKILL: the socket file stays behind
    server.stop()
    assert sock.exists()
    out = loci("search", "a feline pet")  # falls back to the index itself
    assert "cats.md" in out.stdout
    again = Serve()
    try:
        again.wait_for("serving on")
        again.wait_for("up to date")
        assert serve_checks.call(sock, "hello")["pid"] == again.proc.pid
    finally:
        assert again.stop() == 0
