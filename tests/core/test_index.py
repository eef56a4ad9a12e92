import os
from pathlib import Path

from core.config import Settings
from core.index import Indexer, IndexReport
from core.scan import Excluder
from core.store import IndexIdentity, Store
from tests.helpers import NO_MODELS, HashEmbedder, drain, make_image, write


def run(indexer: Indexer, roots: list[Path]) -> IndexReport:
    return drain(indexer.run(roots))


def make(tmp_path: Path, embedder: HashEmbedder | None = None) -> tuple[Indexer, Store]:
    embedder = embedder or HashEmbedder()
    store = Store.open(tmp_path / "data", IndexIdentity("test", "hash-v1", embedder.dims))
    return Indexer(store, embedder, Excluder(Settings().excludes), readers=NO_MODELS), store


def notes(root: Path, n: int = 5) -> None:
    for i in range(n):
        write(root / f"folder{i % 2}" / f"note{i}.md", f"# Note {i}\nabout topic {i} cats\n")


def test_first_run_indexes_everything_then_nothing(tmp_path: Path) -> None:
    root = tmp_path / "notes"
    notes(root)
    indexer, store = make(tmp_path)
    first = run(indexer, [root])
    assert first.indexed == 5 and indexer.embedder.calls == 5
    second = run(indexer, [root])
    assert second.unchanged == 5 and second.indexed == 0
    assert indexer.embedder.calls == 5  # zero embedding calls on an unchanged folder


def test_edit_reembeds_only_that_file(tmp_path: Path) -> None:
    root = tmp_path / "notes"
    notes(root)
    indexer, store = make(tmp_path)
    run(indexer, [root])
    write(root / "folder0" / "note0.md", "# Note 0\nnow about dogs\n\n# Second\nmore\n")
    report = run(indexer, [root])
    assert report.indexed == 1 and report.embedded_pieces == 2
    assert store.files()[str(root / "folder0" / "note0.md")].pieces == 2


def test_move_and_touch_reuse_vectors(tmp_path: Path) -> None:
    root = tmp_path / "notes"
    notes(root)
    indexer, store = make(tmp_path)
    run(indexer, [root])
    calls = indexer.embedder.calls
    src = root / "folder0" / "note0.md"
    dst = root / "elsewhere" / "renamed.md"
    dst.parent.mkdir()
    os.rename(src, dst)
    os.utime(root / "folder1" / "note1.md", (1, 1))  # touched, content unchanged
    report = run(indexer, [root])
    assert report.reused == 2 and report.deleted == 1
    assert indexer.embedder.calls == calls
    assert str(dst) in store.files() and str(src) not in store.files()
    meta, _ = store.vectors()
    assert str(src) not in meta.column("path").to_pylist()


def test_delete_leaves_the_index(tmp_path: Path) -> None:
    root = tmp_path / "notes"
    notes(root)
    indexer, store = make(tmp_path)
    run(indexer, [root])
    (root / "folder1" / "note3.md").unlink()
    report = run(indexer, [root])
    assert report.deleted == 1 and len(store.files()) == 4


def test_bad_files_are_recorded_and_never_stop_the_run(tmp_path: Path) -> None:
    root = tmp_path / "notes"
    notes(root, 3)
    (root / "binary.txt").write_bytes(b"\x00" * 5000)
    (root / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    (root / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 nonsense")
    (root / "zero.md").write_bytes(b"")
    (root / "loop.md").symlink_to(root / "loop.md")
    (root / "dangling.md").symlink_to(root / "nowhere.md")
    (root / "linkdir").symlink_to(root)  # a folder link back up: never followed
    os.mkdir(root / "bad-\udcff-name")
    write(Path(os.fsdecode(os.fsencode(str(root)) + b"/bad-\xff.md")), "latin name")
    (root / "unknown.xyz").write_text("skipped")
    indexer, store = make(tmp_path)
    report = run(indexer, [root])
    files = store.files()
    errors = {Path(p).name: f.error for p, f in files.items() if f.status == "error"}
    assert set(errors) == {"binary.txt", "broken.pdf", "corrupt.jpg", "loop.md", "dangling.md"}
    assert "binary" in errors["binary.txt"] and "loop" in errors["loop.md"]
    assert report.skipped == 1
    assert files[str(root / "zero.md")].status == "indexed"
    assert any("\\xff" in p for p in files)  # a non-UTF-8 name is indexed under a safe key
    # Fixing a file gets it indexed on the next run; unchanged errors are not retried.
    (root / "binary.txt").write_text("now it is text about cats")
    again = run(indexer, [root])
    assert again.indexed == 1 and store.files()[str(root / "binary.txt")].status == "indexed"


def test_transient_embedding_failures_stay_pending_and_complete_later(tmp_path: Path) -> None:
    root = tmp_path / "notes"
    notes(root, 4)
    write(root / "flaky.md", "network sensitive content")
    embedder = HashEmbedder(fail_on="network", transient=True)
    indexer, store = make(tmp_path, embedder)
    report = run(indexer, [root])
    assert report.pending == 1 and report.indexed == 4
    assert store.files()[str(root / "flaky.md")].status == "pending"
    embedder.fail_on = ""
    report = run(indexer, [root])
    assert report.indexed == 1 and store.files()[str(root / "flaky.md")].status == "indexed"


def test_excluded_and_hidden_files_are_never_indexed(tmp_path: Path) -> None:
    root = tmp_path / "notes"
    notes(root, 2)
    for name in (".env", "server.pem", "id_rsa", ".hidden.md", "draft.md~"):
        write(root / name, "secret")
    write(root / ".git" / "HEAD.md", "x")
    write(root / "node_modules" / "pkg" / "README.md", "x")
    write(root / "private" / "diary.md", "x")
    indexer, store = make(tmp_path)
    indexer.excluder = Excluder([*Settings().excludes, "private"])
    run(indexer, [root])
    assert sorted(Path(p).name for p in store.files()) == ["note0.md", "note1.md"]


def test_images_index_by_name(tmp_path: Path) -> None:
    root = tmp_path / "pics"
    make_image(root / "holiday" / "beach.png")
    indexer, store = make(tmp_path)
    run(indexer, [root])
    assert store.files()[str(root / "holiday" / "beach.png")].kind == "image"


def test_a_folder_removed_from_the_settings_leaves_the_index(tmp_path: Path) -> None:
    from core.app import Engine
    from core.config import demo_folder

    mine = tmp_path / "mine"
    notes(mine, 2)
    embedder = HashEmbedder()
    # the sample folder
    demo = Engine(Settings(), data=tmp_path / "data", embedder=embedder, readers=NO_MODELS)
    run_all(demo)
    assert demo.status().demo is True and demo.status().files >= 5
    assert all(p.startswith(str(demo_folder())) for p in demo.store.files())

    # the user's folder arrives: reading alone already counts only it, writing nothing
    settings = Settings(folders=[str(mine)], demo=False)
    engine = Engine(settings, data=tmp_path / "data", embedder=embedder, readers=NO_MODELS)
    before = engine.status()
    assert (before.demo, before.files, before.outside) == (
        False,
        0,
        demo.status().files,
    )
    report = run_all(engine)
    assert report.deleted >= 5 and report.indexed == 2
    assert sorted(engine.store.files()) == sorted(str(p) for p in mine.rglob("*.md"))
    after = engine.status()
    assert (after.files, after.outside, after.pieces) == (2, 0, 2)
    assert engine.store.pieces.count_rows() == 2
    # the user's files are never touched
    assert sorted(p.name for p in mine.rglob("*")) == ["folder0", "folder1", "note0.md", "note1.md"]


def run_all(engine) -> IndexReport:
    return drain(engine.index())  # type: ignore[no-any-return]


def test_an_index_from_an_older_extractor_is_re_extracted_once(tmp_path: Path) -> None:
    root = tmp_path / "notes"
    notes(root)
    write(root / "copy.md", "# Note 0\nabout topic 0 cats\n")  # same content as note0
    indexer, store = make(tmp_path)
    assert run(indexer, [root]).indexed == 6
    store.update_state(extract_version=1)  # as a Loci before piece rules changed left it
    again, _ = make(tmp_path, indexer.embedder)  # type: ignore[arg-type]
    redo = run(again, [root])
    assert redo.indexed == 6 and redo.reused == 0  # old pieces are not re-used by hash
    assert run(again, [root]).unchanged == 6


def test_an_embedder_revision_for_one_kind_redoes_only_that_kind(tmp_path: Path) -> None:
    root = tmp_path / "notes"
    notes(root)
    make_image(root / "photos" / "IMG_1.png")
    make_image(root / "photos" / "IMG_1 copy.png")
    embedder = HashEmbedder()
    embedder.revisions = {"image": "v1"}  # type: ignore[attr-defined]
    indexer, store = make(tmp_path, embedder)
    assert run(indexer, [root]).indexed == 7
    assert store.read_state()["embedded_as"] == {"image": "v1"}
    embedder.revisions = {"image": "v2"}  # type: ignore[attr-defined]  # photos embed anew
    again, _ = make(tmp_path, embedder)
    redo = run(again, [root])
    assert redo.indexed == 2 and redo.reused == 0 and redo.unchanged == 5
    assert store.read_state()["embedded_as"] == {"image": "v2"}
    assert run(again, [root]).unchanged == 7
