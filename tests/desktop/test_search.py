"""Typing, filters, keyboard and the honest empty state."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from desktop.results import HIT_ROLE, format_locator, highlight
from tests.desktop.conftest import shot


def names(window) -> list[str]:
    return [Path(h.path).name for h in window.model.hits]


def test_typing_a_query_fills_the_results(make_window, corpus, qtbot):
    window = make_window([corpus])
    assert window.search.edit.hasFocus()  # focused at start
    with qtbot.waitSignal(window.bridge.searched, timeout=3000):
        qtbot.keyClicks(window.search.edit, "sourdough starter bread")
    assert names(window)[0] == "sourdough.md"
    assert window.left.currentWidget() is window.results
    first = window.model.index(0).data(HIT_ROLE)
    assert first.locator  # the heading it matched under
    assert "<b class='hl'>" in highlight(first.snippet, window.model.terms)
    # the first result is selected, so the preview already describes it
    assert window.preview.title.text() == first.title


def test_enter_searches_at_once_and_escape_clears(make_window, corpus, qtbot):
    window = make_window([corpus])
    window.search.edit.setText("pricing tiers")
    with qtbot.waitSignal(window.bridge.searched, timeout=1000):
        qtbot.keyClick(window.search.edit, Qt.Key.Key_Return)
    assert names(window)[0] == "pricing.md"
    qtbot.keyClick(window.search.edit, Qt.Key.Key_Escape)
    assert window.search.text == "" and window.model.rowCount() == 0
    assert window.left.currentWidget() is window.empty
    assert window.preview.hit is None


def test_no_good_match_is_said_plainly(make_window, corpus, qtbot):
    window = make_window([corpus])
    # many unknown words: no file shares enough of them to clear the score floor
    nonsense = "zzyzx quuxplorp frobnak vlimmet grastok pleeb wuzzle drommix skerf yalp"
    with qtbot.waitSignal(window.bridge.searched):
        window.search.set_text(nonsense)
    assert window.model.rowCount() == 0
    assert window.left.currentWidget() is window.empty
    assert f"No good match for “{nonsense}”" in window.empty.text()


def test_filters_narrow_the_results(make_window, corpus, qtbot):
    window = make_window([corpus])
    with qtbot.waitSignal(window.bridge.searched):
        window.search.set_text("lighthouse keeper lamp")
    kinds = {h.kind for h in window.model.hits}
    assert {"note", "image", "pdf"} <= kinds

    with qtbot.waitSignal(window.bridge.searched):
        window.filters.select_kind("Images")
    assert window.model.hits and {h.kind for h in window.model.hits} == {"image"}
    assert window.filters.is_grid()  # images come as a grid of thumbnails
    assert window.results.viewMode() == window.results.ViewMode.IconMode

    with qtbot.waitSignal(window.bridge.searched):
        window.filters.select_kind("PDFs")
    assert names(window) == ["lighthouse-report.pdf"]
    assert format_locator(window.model.hits[0].locator) == "pp. 1–2"

    with qtbot.waitSignal(window.bridge.searched):
        window.filters.select_kind("All")
    docs = window.filters.folder.findData(str(corpus / "notes"))
    assert docs > 0
    with qtbot.waitSignal(window.bridge.searched):
        window.filters.folder.setCurrentIndex(docs)
    assert window.model.hits
    assert all(Path(h.path).parent == corpus / "notes" for h in window.model.hits)


def test_date_filter_hides_old_files(make_window, corpus, qtbot):
    import os

    old = corpus / "notes" / "lighthouse-trip.md"
    os.utime(old, (1_000_000_000, 1_000_000_000))  # 2001
    window = make_window([corpus])
    with qtbot.waitSignal(window.bridge.searched):
        window.search.set_text("lighthouse keeper")
    assert "lighthouse-trip.md" in names(window)
    with qtbot.waitSignal(window.bridge.searched):
        window.filters.date.setCurrentIndex(3)  # past year
    assert window.model.hits and "lighthouse-trip.md" not in names(window)


def test_keyboard_moves_opens_and_reveals(make_window, corpus, qtbot, recorder):
    window = make_window([corpus])
    window.results.setFocus()
    qtbot.keyClick(window.results, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert window.search.edit.hasFocus()
    with qtbot.waitSignal(window.bridge.searched):
        window.search.set_text("lighthouse")
    qtbot.keyClick(window.search.edit, Qt.Key.Key_Down)
    assert window.results.hasFocus()
    qtbot.keyClick(window.results, Qt.Key.Key_Down)
    second = window.model.hits[1].path
    assert window.current_hit().path == second
    qtbot.keyClick(window.results, Qt.Key.Key_Return)
    assert recorder.opened == [second]
    qtbot.keyClick(window.results, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert recorder.revealed == [second]
    qtbot.keyClick(window.results, Qt.Key.Key_Escape)
    assert window.search.edit.hasFocus() and window.search.text == ""


def test_a_query_typed_while_the_engine_loads_is_queued_and_runs_when_ready(
    make_window, corpus, qtbot, tmp_path
):
    import threading

    from core.app import Engine
    from core.config import Settings
    from tests.helpers import NO_MODELS, HashEmbedder

    # indexed in an earlier session: after a restart only the engine has to load
    earlier = Engine(
        Settings(folders=[str(corpus)]),
        data=tmp_path / "data",
        embedder=HashEmbedder(),
        readers=NO_MODELS,
    )
    for _ in earlier.index():
        pass
    window = make_window([corpus], threads=True, start=False)
    gate = threading.Event()
    real = window.bridge._factory

    def slow_engine(settings, rebuild):  # LanceDB and the model still loading
        gate.wait(30)
        return real(settings, rebuild)

    window.bridge._factory = slow_engine
    window.start()
    qtbot.keyClicks(window.search.edit, "sourdough bread")
    window.search.force()
    assert window.bridge.opening and window.status.state.text() == "Opening the index…"
    text = window.empty.text()
    assert "Opening the index" in text and "“sourdough bread” runs as soon as it is ready" in text
    assert window.left.currentWidget() is window.empty
    shot(window, "20-query-queued")
    with qtbot.waitSignal(window.bridge.searched, timeout=30000):
        gate.set()
    assert not window.bridge.opening
    assert window.model.hits and window.model.hits[0].path.endswith("sourdough.md")
    assert window.left.currentWidget() is window.results
    window.close()


def test_a_queued_query_says_why_when_the_engine_cannot_open(make_window, corpus, qtbot):
    window = make_window([corpus], start=False)

    def broken(settings, rebuild):
        raise OSError("the index folder is read-only")

    window.bridge._factory = broken
    window.search.set_text("sourdough bread")
    window.start()
    assert "the index folder is read-only" in window.empty.text()
    assert "Cannot search yet" in window.empty.text()


def test_the_window_bolds_the_words_the_command_line_does():
    text = "Repairs to the bicycle: the repairman replaced a bike chain & brake <pads>"
    out = highlight(text, ["repair", "bicycles", "chains"])
    assert out.count("<b class='hl'>") == 4
    assert "&amp; brake &lt;pads&gt;" in out  # the rest escaped, never marked up
