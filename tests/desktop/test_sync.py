"""The app keeps the index in step while it is open: a saved note shows up in search."""

from __future__ import annotations

from tests.helpers import write


def test_a_note_saved_while_the_app_runs_is_found(make_window, tmp_path, qtbot):
    root = tmp_path / "notes"
    write(root / "cats.md", "# Cats\nMiso the tabby cat sleeps on the sofa\n")
    window = make_window([root], threads=True, sync=True)
    qtbot.waitUntil(lambda: window.bridge._syncer is not None, timeout=30000)
    syncer = window.bridge._syncer
    assert syncer.wait_idle(30)
    window.search.edit.setText("lighthouse harbour keeper")
    window.search.force()
    qtbot.waitUntil(lambda: "No good match" in window.empty.text(), timeout=10000)
    write(root / "coast.md", "# Coast\nThe lighthouse keeper walks along the harbour\n")
    # the watcher picks the save up; the status line reports the run, search finds it
    qtbot.waitUntil(lambda: window.status.counts.text().startswith("2 files"), timeout=30000)
    window.search.force()
    qtbot.waitUntil(
        lambda: window.model.rowCount() > 0 and window.model.hits[0].path.endswith("coast.md"),
        timeout=10000,
    )
    window.close()
    qtbot.waitUntil(lambda: window.bridge._syncer is None, timeout=30000)
