"""Shared fixtures: every test gets its own config and data folders; Qt runs offscreen."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The local model's numpy forward pass on one BLAS thread: fast and deterministic.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Never touch the user's real settings or index."""
    base = tmp_path_factory.mktemp("loci-home")
    monkeypatch.setenv("LOCI_CONFIG_DIR", str(base / "config"))
    monkeypatch.setenv("LOCI_DATA_DIR", str(base / "data"))
    # Resident engines (loci watch/serve, the app) put their sockets here, not in the user's.
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(base / "run"))
    for var in ("GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    return base


@pytest.fixture(scope="session", autouse=True)
def model_cache_dir(tmp_path_factory: pytest.TempPathFactory):
    """The offline model's fast-load copy (LOCI_CACHE_DIR): built once per test run in a
    temporary folder, shared by every test and CLI subprocess, never in the real ~/.cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LOCI_CACHE_DIR", str(tmp_path_factory.mktemp("loci-cache")))
        yield


@pytest.fixture
def hash_embedder():
    from tests.helpers import HashEmbedder

    return HashEmbedder()


@pytest.fixture(scope="session")
def local_embedder():
    """The real offline model, loaded once per test session."""
    from core.embed.local import LocalEmbedder

    return LocalEmbedder()


# The fake Gemini server on 127.0.0.1 (the real SDK talks to it); see tests/fakes.
from tests.fakes.gemini_server import gemini_server  # noqa: E402, F401
