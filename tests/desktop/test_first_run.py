"""First run: the demo folder is a labelled, removable sample that leaves once you add yours."""

from __future__ import annotations

from core.config import Settings, demo_folder
from tests.desktop.conftest import synced


def paths_found(window) -> list[str]:
    return [h.path for h in window.model.hits]


def test_the_demo_is_a_labelled_sample_that_leaves_when_a_folder_is_added(
    make_window, corpus, qtbot, tmp_path
):
    window = make_window([])  # no folder of the user's: the bundled demo folder
    demo = str(demo_folder())
    assert window.settings.is_demo()
    assert "demo folder" in window.empty.text() and "a cat asleep" in window.empty.text()
    assert "demo folder" in window.status.counts.text()
    assert window.filters.folder.itemText(1) == "Demo folder (sample)"
    with qtbot.waitSignal(window.bridge.searched):
        window.search.set_text("cat sleeps sofa")
    assert any(p.startswith(demo) for p in paths_found(window))

    dialog = window.open_settings()
    qtbot.waitExposed(dialog)
    assert dialog.demo_row is not None and "sample" in dialog.demo_row.text(0)
    assert dialog.folder_paths() == []  # the sample is no folder of the user's
    dialog.add_folder(str(corpus))
    assert dialog.demo_row is None  # a folder of the user's replaces it
    with synced(window, qtbot):
        dialog.accept()

    saved = Settings.load(tmp_path / "config" / "settings.toml")
    assert saved.folders == [str(corpus)] and saved.demo is False
    # the demo's pieces have left the index; the status and the empty screen say so
    files = window.bridge.engine.store.files()
    assert files and not any(p.startswith(demo) for p in files)
    assert "demo" not in window.status.counts.text()
    assert window.status.counts.text().startswith("8 files")  # the corpus only
    with qtbot.waitSignal(window.bridge.searched):
        window.search.set_text("cat sleeps sofa")
    assert paths_found(window) and not any(p.startswith(demo) for p in paths_found(window))
    window.search.clear()
    text = window.empty.text()
    assert "your folder" in text and "memories" in text and "demo" not in text
    assert "a cat asleep" not in text
    assert window.filters.folder.itemText(1) == "memories"


def test_the_demo_can_be_removed_without_adding_a_folder(make_window, qtbot, tmp_path):
    window = make_window([])
    dialog = window.open_settings()
    dialog.folders.setCurrentItem(dialog.demo_row)
    dialog.demo_row.setSelected(True)
    dialog.remove_button.click()
    assert dialog.demo_row is None and "No folder" in dialog.folder_hint.text()
    with synced(window, qtbot):
        dialog.accept()
    assert Settings.load(tmp_path / "config" / "settings.toml").demo is False
    assert window.bridge.engine.store.files() == {}
    assert window.status.counts.text().startswith("0 files")
    assert "No folder to search yet" in window.empty.text()
    assert "Add a folder" in window.empty.text()
    # and the dialog offers no demo row any more
    assert window.open_settings().demo_row is None
