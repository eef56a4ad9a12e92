"""The status line: progress while indexing, counts, and the files that could not be indexed."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt


def test_status_shows_progress_then_counts_and_problems(make_window, corpus, broken_file, qtbot):
    window = make_window([corpus], start=False)
    seen: list[tuple[str, bool, int, int]] = []

    def look(_progress) -> None:  # runs after the window's own slot: what the user sees now
        bar = window.status.progress
        seen.append((window.status.state.text(), bar.isVisible(), bar.value(), bar.maximum()))

    window.bridge.index_progressed.connect(look)
    with qtbot.waitSignal(window.bridge.indexed, timeout=10000):
        window.start()
    indexing = [s for s in seen if s[0].startswith("Indexing ")]
    assert indexing, seen
    text, visible, value, maximum = indexing[len(indexing) // 2]
    assert visible and maximum == 9 and 0 <= value <= maximum
    assert re.fullmatch(r"Indexing \d / 9 — memories/\w+/[\w.-]+", text), text

    status = window.status
    assert status.state.text() == "Synced" and not status.progress.isVisible()
    assert re.match(r"8 files · \d+ pieces · test embedder", status.counts.text())
    assert status.problems.isVisible()
    assert status.problems.text() == "⚠ 1 file could not be indexed"

    qtbot.mouseClick(status.problems, Qt.MouseButton.LeftButton)
    dialog = window.problems_dialog
    assert dialog is not None and dialog.isVisible() and not dialog.isModal()
    assert dialog.table.rowCount() == 1
    assert dialog.table.item(0, 0).text() == "memories/photos/broken.jpg"
    assert "image" in dialog.table.item(0, 1).text().lower()  # the reason, in words


def test_rescan_picks_up_a_new_file(make_window, corpus, qtbot):
    window = make_window([corpus])
    (corpus / "notes" / "kayak.md").write_text("# Kayak\n\nPaddling the kayak round the bay.\n")
    with qtbot.waitSignal(window.bridge.status_changed, timeout=10000):
        qtbot.keyClick(window, Qt.Key.Key_F5)
    assert window.status.counts.text().startswith("9 files")
    with qtbot.waitSignal(window.bridge.searched):
        window.search.set_text("kayak paddling")
    assert window.model.hits[0].path.endswith("kayak.md")


def test_status_follows_the_syncer_after_a_restart_with_broken_files(
    make_window, corpus, broken_file, qtbot
):
    """Nothing changed since last time, one file still broken: 'Synced', not 'Indexing…'."""
    first = make_window([corpus], threads=True, sync=True)
    qtbot.waitUntil(lambda: first.status.state.text() == "Synced", timeout=30000)
    first.close()
    qtbot.waitUntil(lambda: first.bridge._syncer is None, timeout=30000)

    window = make_window([corpus], threads=True, sync=True)
    qtbot.waitUntil(lambda: window.bridge._syncer is not None, timeout=30000)
    assert window.bridge._syncer.wait_idle(30)
    qtbot.waitUntil(lambda: window.status.state.text() == "Synced", timeout=10000)
    assert not window.bridge.indexing and not window.status.progress.isVisible()
    assert window.status.problems.text() == "⚠ 1 file could not be indexed"
    window.searching.last_query = "zebra crossing"
    window.searching.show_no_match()  # what a search with no hit says now
    assert "still running" not in window.empty.text()

    # F5: a full rescan shows as scanning, then ends as Synced again
    states: list[str] = []
    window.bridge.sync_state.connect(states.append)
    qtbot.keyClick(window, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: "idle" in states, timeout=30000)
    qtbot.waitUntil(lambda: window.status.state.text() == "Synced", timeout=10000)
    assert "scanning" in states and not window.bridge.indexing
    window.close()
    qtbot.waitUntil(lambda: window.bridge._syncer is None, timeout=30000)
