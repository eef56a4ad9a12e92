"""The recall panel ranks the other files by dot product with the selected one."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from desktop.results import HIT_ROLE


def expected_recall(engine, path: str) -> list[tuple[str, float]]:
    """Every other file's best piece score against the file's pieces, computed here."""
    meta, matrix = engine.store.vectors()
    paths = np.array(meta.column("path").to_pylist(), dtype=object)
    source = matrix[paths == path]
    scores = (matrix @ source.T).max(axis=1)
    best: dict[str, float] = {}
    for p, s in zip(paths, scores, strict=True):
        if p != path:
            best[p] = max(best.get(p, -1.0), float(s))
    floor = engine.embedder.score_floor
    return sorted(((p, s) for p, s in best.items() if s >= floor), key=lambda x: -x[1])


def test_selecting_a_result_fills_recall_by_dot_product(make_window, corpus, qtbot):
    window = make_window([corpus])
    with qtbot.waitSignal(window.bridge.searched):
        window.search.set_text("lighthouse keeper")
    selected = window.current_hit()
    with qtbot.waitSignal(window.bridge.recalled, timeout=3000):
        pass  # the selection settles, then recall runs
    got = [(h.path, h.score) for h in window.recall.model.hits]
    assert got, "recall found nothing"
    assert selected.path not in [p for p, _ in got]
    want = expected_recall(window.bridge.engine, selected.path)[: len(got)]
    assert [p for p, _ in got] == [p for p, _ in want]
    assert np.allclose([s for _, s in got], [s for _, s in want], atol=1e-5)
    assert "related to" in window.recall.title.text()


def test_clicking_a_recalled_memory_selects_it_and_recalls_from_there(make_window, corpus, qtbot):
    window = make_window([corpus])
    with qtbot.waitSignal(window.bridge.searched):
        window.search.set_text("lighthouse keeper")
    window.flush_selection()
    view = window.recall.view
    index = window.recall.model.index(0)
    target = index.data(HIT_ROLE)
    with qtbot.waitSignal(window.bridge.recalled, timeout=3000):
        qtbot.mouseClick(
            view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(index).center()
        )
    assert window.focus.hit.path == target.path
    assert window.preview.hit.path == target.path
    recalled = [h.path for h in window.recall.model.hits]
    assert target.path not in recalled
    assert [p for p, _ in expected_recall(window.bridge.engine, target.path)][
        : len(recalled)
    ] == recalled


def test_scratch_box_recalls_while_you_write(make_window, corpus, qtbot):
    window = make_window([corpus])
    window.recall.scratch.setFocus()
    with qtbot.waitSignal(window.bridge.recalled, timeout=3000):
        qtbot.keyClicks(window.recall.scratch, "grey cat asleep on the sofa")
    # The note and the photo named "cat-on-sofa" are both about it; the note is among the first.
    assert any(h.path.endswith("cats.md") for h in window.recall.model.hits[:2])
    assert "what you are writing" in window.recall.subtitle.text()
    assert window.recall.scratch.hasFocus()  # recall never steals focus
