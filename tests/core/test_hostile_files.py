"""Hostile files in a watched folder: links out of it, clashing names, pipes, devices, giants.

Each test is the reproduction of a defect an attack run found; see README "Privacy".
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from core.config import Settings
from core.index import Indexer, IndexReport
from core.model import drive
from core.scan import Excluder, display_path, fs_path, path_key
from core.store import IndexIdentity, Store
from tests.helpers import HashEmbedder, drain, write

SECRET = "-----BEGIN OPENSSH PRIVATE KEY----- b3BlbnNzaC1rZXktdjEAAAAA"


def run(indexer: Indexer, roots: list[Path]) -> IndexReport:
    return drain(indexer.run(roots))  # type: ignore[no-any-return]


def make(tmp_path: Path) -> tuple[Indexer, Store]:
    embedder = HashEmbedder()
    store = Store.open(tmp_path / "data", IndexIdentity("test", "hash-v1", embedder.dims))
    return Indexer(store, embedder, Excluder(Settings().excludes)), store


def all_text(store: Store) -> str:
    return "\n".join(store.pieces.to_arrow().column("text").to_pylist())


def test_links_to_secrets_outside_or_excluded_are_never_read(tmp_path: Path) -> None:
    home = tmp_path / "home"
    key = write(home / ".ssh" / "id_rsa", SECRET)
    shadow = write(tmp_path / "etc" / "shadow", "root:$6$saltsalt$SHADOWHASH:19000:0:99999:7:::")
    notes = home / "notes"
    write(notes / "plain.md", "# Plain\nan ordinary note about gardening\n")
    inside_secret = write(notes / "keys" / "server.pem", "PEM SECRET INSIDE THE FOLDER")
    (notes / "ssh_backup.md").symlink_to(key)
    (notes / "shadow.md").symlink_to(shadow)
    (notes / "cert.md").symlink_to(inside_secret)  # excluded by its real name (*.pem)
    (notes / "alias.md").symlink_to(notes / "plain.md")  # inside and allowed: followed
    indexer, store = make(tmp_path)
    run(indexer, [notes])
    text = all_text(store)
    assert "PRIVATE KEY" not in text and "SHADOWHASH" not in text and "PEM SECRET" not in text
    files = store.files()
    assert files[str(notes / "alias.md")].status == "indexed"
    for name in ("ssh_backup.md", "shadow.md", "cert.md"):
        row = files[str(notes / name)]
        assert row.status == "error" and "not followed" in row.error, row
        assert row.pieces == 0
    # The watcher's path-by-path update refuses them the same way.
    drain(indexer.update([notes / "ssh_backup.md", notes / "shadow.md"], [notes]))
    assert "PRIVATE KEY" not in all_text(store) and "SHADOWHASH" not in all_text(store)


def test_link_into_another_loci_folder_is_followed(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    write(b / "target.md", "# Target\nthe otter note\n")
    a.mkdir()
    (a / "link.md").symlink_to(b / "target.md")
    indexer, store = make(tmp_path)
    run(indexer, [a, b])
    assert store.files()[str(a / "link.md")].status == "indexed"


def test_non_utf8_name_and_its_escaped_lookalike_are_two_files(tmp_path: Path) -> None:
    root = tmp_path / "notes"
    root.mkdir()
    raw = os.path.join(os.fsencode(root), b"caf\xe9.md")
    with open(raw, "wb") as f:
        f.write(b"# Cafe\nthe espresso machine manual\n")
    write(root / "caf\\xe9.md", "# Lookalike\nthe literal backslash name about tea\n")
    write(root / "other.md", "# Other\nanother note about bicycles\n")
    indexer, store = make(tmp_path)
    first = run(indexer, [root])
    assert first.indexed == 3 and first.errors == 0
    files = store.files()
    assert len(files) == 3 and store.files_table.count_rows() == 3
    keys = sorted(files)
    assert len(set(keys)) == 3
    # Every key opens the file it names, and the run after is a no-op.
    for k in keys:
        assert os.path.isfile(fs_path(k)), k
    assert run(indexer, [root]).unchanged == 3
    key = path_key(os.fsdecode(raw))
    assert fs_path(key) == os.fsdecode(raw)
    assert display_path(key).endswith("caf\\xe9.md")
    literal = path_key(root / "caf\\xe9.md")
    assert display_path(literal) == str(root / "caf\\xe9.md") and literal != key


def test_an_index_with_duplicate_rows_heals_itself(tmp_path: Path) -> None:
    """Older indexes may hold two rows for one key (the clash above); the next run redoes them."""
    import pyarrow as pa

    root = tmp_path / "notes"
    note = write(root / "a.md", "# A\nabout herons\n")
    indexer, store = make(tmp_path)
    run(indexer, [root])
    row = store.files_table.to_arrow().to_pylist()[0]
    store.files_table.add(pa.Table.from_pylist([row], schema=store.files_table.schema))
    assert store.files_table.count_rows() == 2
    os.utime(note, (1, 1))
    report = run(indexer, [root])
    assert report.errors == 0 and store.files_table.count_rows() == 1
    assert store.files()[str(note)].status == "indexed"


def test_pipes_and_devices_are_never_read(tmp_path: Path) -> None:
    root = tmp_path / "notes"
    write(root / "ok.md", "# Ok\nfine\n")
    os.mkfifo(root / "fifo.md")
    (root / "zero.md").symlink_to("/dev/zero")
    indexer, store = make(tmp_path)
    done = threading.Event()
    result: list[IndexReport] = []

    def go() -> None:
        result.append(run(indexer, [root]))
        drain(indexer.update([root / "fifo.md", root / "zero.md"], [root]))
        done.set()

    threading.Thread(target=go, daemon=True).start()
    assert done.wait(30), "indexing hung on a FIFO or /dev/zero"
    files = store.files()
    assert files[str(root / "ok.md")].status == "indexed"
    assert "not a regular file" in files[str(root / "fifo.md")].error
    assert files[str(root / "zero.md")].status == "error"


def test_size_is_checked_before_hashing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import core.index

    root = tmp_path / "notes"
    root.mkdir()
    with open(root / "huge.md", "wb") as f:  # sparse: 20 GB of nothing, no disk used
        f.truncate(20 << 30)
    hashed: list[Path] = []
    real = core.index.sha256_of
    monkeypatch.setattr(core.index, "sha256_of", lambda p, n=None: hashed.append(p) or real(p, n))
    indexer, store = make(tmp_path)
    run(indexer, [root])
    row = store.files()[str(root / "huge.md")]
    assert row.status == "error" and "too large" in row.error and "20.0 GB" in row.error
    assert hashed == []


def test_pieces_per_file_are_capped_with_a_reason(tmp_path: Path) -> None:
    root = tmp_path / "notes"
    words = " ".join(f"w{i}" for i in range(2000))
    write(root / "long.txt", (words + ". ") * 1600)  # one line, ~19 MB of pieces if split
    indexer, store = make(tmp_path)
    run(indexer, [root])
    row = store.files()[str(root / "long.txt")]
    assert row.status == "error" and "too long to index" in row.error
    assert indexer.embedder.calls == 0


def test_binary_tail_after_a_text_head_is_detected(tmp_path: Path) -> None:
    root = tmp_path / "notes"
    root.mkdir()
    (root / "mixed.md").write_bytes(b"# Head\n" + b"plain words " * 700 + os.urandom(2 << 20))
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.txt", "x" * 1000)
    (root / "zip.md").write_bytes(buf.getvalue())
    indexer, store = make(tmp_path)
    run(indexer, [root])
    for name in ("mixed.md", "zip.md"):
        row = store.files()[str(root / name)]
        assert row.status == "error" and "binary" in row.error, row


def test_progress_moves_within_a_long_file(tmp_path: Path) -> None:
    root = tmp_path / "notes"
    write(root / "long.md", "\n\n".join(f"Paragraph {i}. " + "word " * 300 for i in range(1200)))
    indexer, store = make(tmp_path)
    messages: list[str] = []
    drive(indexer.run([root]), lambda event: messages.append(event.message))
    inside = [m for m in messages if m.startswith("piece ")]
    assert len(inside) >= 2, messages
    assert store.files()[str(root / "long.md")].status == "indexed"
