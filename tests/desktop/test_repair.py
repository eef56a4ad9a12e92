"""A damaged index: the status line says so and offers Repair index, which builds a fresh one."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import Qt

from core.app import Engine
from tests.desktop.conftest import synced
from tests.helpers import NO_MODELS, HashEmbedder


def test_repair_button_builds_a_fresh_index(make_window, corpus, tmp_path: Path, qtbot) -> None:
    embedder = HashEmbedder()
    window = make_window([corpus], embedder=embedder, start=False)
    with qtbot.waitSignal(window.bridge.indexed, timeout=10000):
        window.start()
    old = window.bridge.engine.store.folder
    shutil.rmtree(old / "pieces.lance")  # "8 indexed, 0 pieces" before the fix
    with qtbot.waitSignal(window.bridge.engine_failed, timeout=10000):
        window.bridge.open(window.settings)
    status = window.status
    assert "is damaged" in status.state.toolTip() and status.repair.isVisible()

    window.bridge._fresh_factory = lambda s: Engine(
        s, data=tmp_path / "data", embedder=embedder, rebuild=True, fresh=True, readers=NO_MODELS
    )
    with synced(window, qtbot):
        qtbot.mouseClick(status.repair, Qt.MouseButton.LeftButton)
    assert not status.repair.isVisible()
    store = window.bridge.engine.store
    assert store.folder != old and not old.exists()  # the fresh one is current, the old gone
    assert status.counts.text().startswith("8 files")
    with qtbot.waitSignal(window.bridge.searched):
        window.search.set_text("lighthouse keeper")
    assert window.model.hits


def test_a_full_disk_is_said_in_the_status_line(make_window, corpus, qtbot) -> None:
    from core.sync.syncer import _say
    from desktop.errors import error_message

    full = OSError(28, "No space left on device")
    lance_full = RuntimeError("lance error: IO: Generic LocalFileSystem error (os error 28)")
    assert error_message(full).startswith(
        "The disk is full"
    ) and "free some space" in error_message(full)
    assert error_message(lance_full).startswith("The disk is full")
    assert _say(lance_full, Path("/x")).startswith("the disk is full")
    window = make_window([corpus])
    window.bridge.index_failed.emit(_say(full, Path("/x")))
    assert "disk is full" in window.status.state.text()
    assert not window.status.repair.isVisible()  # a full disk is not a damaged index
