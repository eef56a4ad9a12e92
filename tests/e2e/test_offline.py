"""Nothing leaves the machine with the local provider: ``loci index`` of photos, a PDF and a
voice memo under ``strace -f -e trace=network`` opens no socket past loopback, looks up no
host name, and leaves no telemetry (onnxruntime's ~/.cache/Microsoft) in the home folder."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.core.test_media_helpers import espeak_available, speak, text_image
from tests.helpers import make_pdf, write

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace (Debian; .ci/run)"),
]
REPO = Path(__file__).resolve().parents[2]


def outside_loopback(trace: str) -> list[str]:
    """The strace lines that reach past this machine: an inet socket connecting or sending
    anywhere but 127.0.0.0/8 or ::1, or a look-up through the name-service cache daemon."""
    bad = []
    for line in trace.splitlines():
        if not re.search(r"\b(connect|sendto|sendmsg|bind)\(", line):
            continue
        if "AF_UNIX" in line:
            if "nscd" in line:
                bad.append(line)
            continue
        inet = re.search(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"', line)
        if inet:
            addr = inet.group(1) or inet.group(2)
            if not (addr.startswith("127.") or addr in ("::1", "0.0.0.0")):
                bad.append(line)
        elif "AF_INET" in line:
            bad.append(line)
    return bad


def test_local_indexing_of_media_sends_nothing_and_writes_no_telemetry(tmp_path: Path) -> None:
    root, home = tmp_path / "memories", tmp_path / "home"
    home.mkdir()
    text_image(root / "whiteboard.png", ["PRICING PLAN", "three tiers"])
    make_pdf(root / "report.pdf", ["Quarterly report on heron counts"])
    write(root / "note.md", "# Note\nthe herons are back\n")
    if espeak_available():
        speak(root / "memo.wav", "Remember to water the tomatoes.")
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "LOCI_CONFIG_DIR": str(tmp_path / "config"),
        "LOCI_DATA_DIR": str(tmp_path / "data"),
        "OPENBLAS_NUM_THREADS": "1",
    }
    env.pop("ORT_DISABLE_TELEMETRY", None)  # Loci must turn it off itself
    log = tmp_path / "strace.log"
    proc = subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=network", "-o", str(log),
         sys.executable, "-m", "core.cli", "index", str(root)],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=400,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "errors 0" in proc.stdout, proc.stdout
    assert outside_loopback(log.read_text()) == []
    assert not (home / ".cache" / "Microsoft").exists(), list(home.rglob("*"))


def test_the_trace_check_sees_a_lookup() -> None:
    """The check above is not blind: a DNS query and a connection out are both caught."""
    sample = (
        '12 connect(5, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.0.0.2")}'
        ", 16) = 0\n"
        '12 connect(3, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1\n'
        '12 connect(7, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("127.0.0.1")}'
        ", 16) = 0\n"
    )
    assert len(outside_loopback(sample)) == 2
