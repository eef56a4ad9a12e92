"""desktop.tasks: work runs on a worker; its answer, and only that, reaches the GUI thread."""

from __future__ import annotations

import threading

from desktop.tasks import DaemonExecutor, PoolExecutor, Tasks


def test_the_worker_computes_and_the_callback_runs_on_the_gui_thread(qtbot):
    tasks = Tasks(PoolExecutor(1))
    gui = threading.get_ident()
    seen: dict[str, int] = {}
    answers: list[int] = []

    def work() -> int:
        seen["work"] = threading.get_ident()
        return 42

    def done(value: int) -> None:
        seen["callback"] = threading.get_ident()
        answers.append(value)

    tasks.run(work, done)
    qtbot.waitUntil(lambda: answers == [42])
    assert seen["work"] != gui and seen["callback"] == gui
    assert tasks.wait(5000)


def test_an_exception_reaches_on_error_on_the_gui_thread(qtbot):
    tasks = Tasks(PoolExecutor(1))
    errors: list[tuple[str, int]] = []

    def work() -> int:
        raise ValueError("no such file")

    tasks.run(work, lambda _v: None, lambda exc: errors.append((str(exc), threading.get_ident())))
    qtbot.waitUntil(lambda: bool(errors))
    assert errors == [("no such file", threading.get_ident())]


def test_closed_tasks_drop_answers_and_finish_delivers_those_in_flight(qtbot):
    release = threading.Event()
    answers: list[str] = []

    closed = Tasks(PoolExecutor(1))
    closed.run(lambda: release.wait(5) and "late", answers.append)
    closed.close()
    closed.run(lambda: "never", answers.append)  # submitted after close: never runs
    release.set()
    assert closed.wait(5000)
    qtbot.wait(50)
    assert answers == []

    finishing = Tasks(DaemonExecutor())
    started = threading.Event()

    def slow() -> str:
        started.set()
        release.wait(5)
        return "in flight"

    release.clear()
    finishing.run(slow, answers.append)
    assert started.wait(5)
    threading.Timer(0.1, release.set).start()
    assert finishing.finish(5000)  # waits for it, then hands its answer over at once
    assert answers == ["in flight"]
    finishing.run(lambda: "after", answers.append)
    qtbot.wait(50)
    assert answers == ["in flight"]
