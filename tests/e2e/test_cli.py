"""The `loci` CLI as a user runs it: a subprocess, the real offline model, a real index."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import make_image, make_pdf, write

pytestmark = pytest.mark.slow
LOCI = [sys.executable, "-m", "core.cli"]


def loci(
    *args: str, env: dict[str, str] | None = None, check: bool = True, unprivileged: bool = False
) -> subprocess.CompletedProcess[str]:
    prefix: list[str] = []
    if unprivileged and os.geteuid() == 0:
        # root reads every file; without these capabilities permission bits bind it too
        prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]
    proc = subprocess.run(
        [*prefix, *LOCI, *args],
        capture_output=True,
        text=True,
        env=env or dict(os.environ),
        cwd=Path(__file__).parents[2],
        timeout=300,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"loci {args} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


def hits(*args: str) -> list[dict]:
    out = loci("search", *args, "--json").stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def indexed(out: str) -> tuple[int, int]:
    m = re.search(r"Indexed ([\d,]+) files \(([\d,]+) pieces embedded\)", out)
    assert m, out
    return int(m.group(1).replace(",", "")), int(m.group(2).replace(",", ""))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "memories"
    write(
        root / "pets" / "cats.md",
        "# Miso\nOur grey tabby cat sleeps on the sofa and wakes at six for dinner.\n\n"
        "## Vet\nThe vet said she should lose weight: smaller portions of wet food.\n",
    )
    write(
        root / "kitchen" / "sourdough.md",
        "# Sourdough\nFeed the starter, knead the dough, bake the bread at 250 degrees.\n",
    )
    write(
        root / "work" / "budget.md",
        "# Budget\nThe quarterly finance meeting: revenue, costs and the hiring plan.\n",
    )
    write(
        root / "travel" / "lisbon.txt",
        "Trip to Lisbon: the tram up to Alfama, custard tarts, fado at night.\n",
    )
    make_pdf(
        root / "papers" / "solar.pdf",
        ["Solar panels on the roof", "Inverter warranty ten years", "Battery storage"],
    )
    make_image(root / "photos" / "IMG_0001-beach.jpg", taken="2026:07:01 10:00:00")
    return root


def test_index_search_and_json_fields(folder: Path) -> None:
    out = loci("index", str(folder)).stdout
    assert indexed(out)[0] == 6
    found = hits("a feline pet")
    assert found[0]["path"].endswith("cats.md")
    assert set(found[0]) >= {"path", "kind", "score", "title", "snippet", "locator", "modified"}
    assert found[0]["kind"] == "note" and found[0]["locator"]["heading"]
    assert hits("Wie backe ich Brot?")[0]["path"].endswith("sourdough.md")
    pdf = hits("roof solar panels", "--kind", "pdf")
    assert pdf[0]["locator"] == {"pages": [1, 3]}
    assert hits("revenue and costs", "--folder", str(folder / "work"))[0]["path"].endswith(
        "budget.md"
    )
    human = loci("search", "a feline pet").stdout
    assert "cats.md" in human and "§ Miso" in human
    nothing = loci("search", "quantum chromodynamics lattice gauge").stdout
    assert nothing.startswith("No good match for")
    recall = loci("recall", str(folder / "pets" / "cats.md"), "--json").stdout
    assert all("cats.md" not in json.loads(line)["path"] for line in recall.splitlines())
    status = json.loads(loci("status", "--json").stdout)
    assert status["files"] == 6 and status["provider"] == "local" and status["dims"] == 512
    assert status["folders"] == [str(folder)]


def test_edit_move_delete(folder: Path) -> None:
    loci("index", str(folder))
    write(folder / "pets" / "cats.md", "# Miso\nMiso now has a brother called Tofu.\n")
    assert indexed(loci("index").stdout) == (1, 1)  # only the edited file is re-embedded
    shutil.move(folder / "kitchen" / "sourdough.md", folder / "travel" / "bread.md")
    out = loci("index").stdout
    assert indexed(out) == (0, 0) and "re-used 1" in out and "removed 1" in out
    assert hits("bake bread starter")[0]["path"].endswith("travel/bread.md")
    (folder / "work" / "budget.md").unlink()
    loci("index")
    assert all(not h["path"].endswith("budget.md") for h in hits("quarterly finance revenue"))


def test_bad_files_reported_and_good_ones_found(folder: Path) -> None:
    bad = folder / "bad"
    bad.mkdir()
    ok_pdf = make_pdf(bad / "tmp.pdf", ["x"])
    (bad / "truncated.pdf").write_bytes(ok_pdf.read_bytes()[:50])
    ok_pdf.unlink()
    (bad / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    (bad / "empty.md").write_bytes(b"")
    (bad / "huge-binary.txt").write_bytes(os.urandom(1 << 20))
    (bad / "loop.md").symlink_to(bad / "loop.md")
    (bad / "linkdir").symlink_to(folder)
    Path(os.fsdecode(os.fsencode(str(bad)) + b"/caf\xe9.md")).write_text("latin-1 name")
    secret = write(bad / "secret.md", "a locked note about cats")
    secret.chmod(0)
    out = loci("index", str(folder), unprivileged=True).stdout
    assert "errors 5" in out, out
    errors = loci("errors", unprivileged=True).stdout
    for name, reason in [
        ("truncated.pdf", "PDF"),
        ("corrupt.png", "image"),
        ("huge-binary.txt", "binary"),
        ("loop.md", "loop"),
        ("secret.md", "permission denied"),
    ]:
        assert re.search(rf"{re.escape(name)}\n\s+error: .*{reason}", errors, re.I), errors
    found = loci("search", "a feline pet", "--json", unprivileged=True).stdout
    assert json.loads(found.splitlines()[0])["path"].endswith("cats.md")
    secret.chmod(0o644)  # fixed: the next run indexes it
    again = loci("index", unprivileged=True).stdout
    assert indexed(again)[0] == 1
    assert "secret.md" not in loci("errors", unprivileged=True).stdout


def test_clear_errors_and_exit_codes(tmp_path: Path, folder: Path) -> None:
    missing = loci("index", str(tmp_path / "nope"), check=False)
    assert missing.returncode == 1 and "folder not found" in missing.stderr
    unknown = loci("search", "x", "--provider", "bogus", check=False)
    assert unknown.returncode == 1 and "unknown provider" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    loci("index", str(folder))
    cfg = Path(os.environ["LOCI_CONFIG_DIR"]) / "settings.toml"
    cfg.write_text(cfg.read_text() + 'provider = "gemini"\n'.replace("provider", "provider"))
    text = cfg.read_text().replace('provider = "local"', 'provider = "gemini"')
    cfg.write_text("\n".join(dict.fromkeys(text.splitlines())) + "\n")
    env = dict(os.environ, GEMINI_API_KEY="test-key")
    mismatch = loci("search", "cats", env=env, check=False)
    assert mismatch.returncode == 1 and "rebuild" in mismatch.stderr, mismatch.stderr
    broken = Path(os.environ["LOCI_CONFIG_DIR"]) / "settings.toml"
    broken.write_text("provider = [unclosed")
    bad = loci("status", check=False)
    assert bad.returncode == 1 and "not valid TOML" in bad.stderr
