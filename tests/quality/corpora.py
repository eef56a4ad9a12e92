"""Build the evaluation folders at run time from material installed on this machine.

- ``pydoc``: Python's own module documentation (PSF licence), one file per module, and at the
  larger scale also one file per public class and function of those modules.
- ``personal``: the notes in :mod:`tests.quality.personal` plus scikit-image's sample photos.
"""

from __future__ import annotations

import io
import json
import shutil
import sys
import warnings
from pathlib import Path

from tests.quality import personal, queries

# Modules that open browsers, print on import, need a display, or are test suites.
SKIP_PREFIXES = (
    "antigravity",
    "this",
    "idlelib",
    "tkinter",
    "turtle",
    "turtledemo",
    "test",
    "lib2to3",
    "ensurepip",
    "venv",
    "pydoc_data",
    "xxsubtype",
    "_",
    "__",
    "msvcrt",
    "winreg",
    "winsound",
    "nt",
    "sre_",
    "distutils",
    "crypt",
    "nis",
    "ossaudiodev",
    "spwd",
    "msilib",
    "curses",
    "encodings.",
)
MODULE_CHARS = 6000  # the head of each module's page: its description and first members
MEMBER_CHARS = 2500


def pydoc_modules(count: int) -> list[str]:
    """``count`` importable stdlib modules, every module a query names first."""
    wanted = sorted({m for _, answers in queries.PYDOC for m in answers})
    names = wanted + sorted(sys.stdlib_module_names)
    names += _submodules(sorted(sys.stdlib_module_names))
    out: list[str] = []
    for name in names:
        if name in out or name.startswith(SKIP_PREFIXES):
            continue
        if _render(name) is not None:
            out.append(name)
        if len(out) >= count:
            break
    return out


def _submodules(packages: list[str]) -> list[str]:
    """Public submodules of the stdlib packages (``email.mime.text``, ``http.cookies``…)."""
    import pkgutil

    out = []
    for name in packages:
        if name.startswith(SKIP_PREFIXES):
            continue
        mod = _import(name)
        for info in pkgutil.iter_modules(getattr(mod, "__path__", None) or []):
            if not info.name.startswith("_") and "test" not in info.name:
                out.append(f"{name}.{info.name}")
    return out


def _import(name: str):
    import importlib

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return importlib.import_module(name)
        except BaseException:  # noqa: BLE001 - a module that cannot load is just left out
            return None


def _render(name: str, obj=None) -> str | None:
    import contextlib
    import pydoc

    target = obj if obj is not None else _import(name)
    if target is None:
        return None
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        try:
            text = pydoc.render_doc(target, renderer=pydoc.plaintext)
        except BaseException:  # noqa: BLE001
            return None
    return text


def build_pydoc(root: Path, modules: int, files: int, cache: Path) -> dict[str, list[str]]:
    """Write the pydoc folder under ``root``; returns module (or package) -> its files."""
    key = cache / f"pydoc-{sys.version_info.major}.{sys.version_info.minor}-{modules}-{files}.json"
    if key.exists():
        docs = json.loads(key.read_text(encoding="utf-8"))
    else:
        docs = _pydoc_docs(modules, files)
        key.parent.mkdir(parents=True, exist_ok=True)
        key.write_text(json.dumps(docs), encoding="utf-8")
    if root.exists():
        shutil.rmtree(root)
    owners: dict[str, list[str]] = {}
    for rel, (module, text) in docs.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        # A package's documentation includes its submodules': "json" is answered by
        # json.encoder too, "logging" by logging.handlers.
        parts = module.split(".")
        for i in range(1, len(parts) + 1):
            owners.setdefault(".".join(parts[:i]), []).append(rel)
    return owners


def _pydoc_docs(modules: int, files: int) -> dict[str, tuple[str, str]]:
    names = pydoc_modules(modules)
    docs: dict[str, tuple[str, str]] = {}
    for name in names:
        text = _render(name) or ""
        docs[f"{name}.txt"] = (name, text[:MODULE_CHARS])
    # Members round-robin over the modules until the folder holds ``files`` documents.
    members: dict[str, list[str]] = {}
    for name in names:
        mod = _import(name)
        public = getattr(mod, "__all__", None) or [n for n in dir(mod) if not n.startswith("_")]
        members[name] = [
            m for m in sorted(public) if callable(getattr(mod, m, None)) and m.isidentifier()
        ]
    depth = 0
    while len(docs) < files and any(len(v) > depth for v in members.values()):
        for name in names:
            if len(docs) >= files:
                break
            if depth < len(members[name]):
                member = members[name][depth]
                obj = getattr(_import(name), member, None)
                text = _render(f"{name}.{member}", obj) if obj is not None else None
                if text:
                    docs[f"{name}.{member}.txt"] = (name, text[:MEMBER_CHARS])
        depth += 1
    return docs


def build_personal(root: Path) -> None:
    """Write the personal notes and copy scikit-image's photos under neutral names."""
    import skimage.data

    if root.exists():
        shutil.rmtree(root)
    for rel, text in personal.NOTES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    samples = Path(skimage.data.__file__).parent
    for sample, rel in personal.PHOTOS.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(samples / sample, path)
