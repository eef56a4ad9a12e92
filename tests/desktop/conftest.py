"""Fixtures for the desktop tests: a small corpus, a real engine on LanceDB, a wired window.

Work runs inline (``InlineExecutor``) unless a test asks for real threads, so results are
deterministic and no test sleeps. The window syncs as the app does: the syncer scans on its
own thread, and an inline window is handed out once that start-up scan has reached it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backend import KeyringBackend

from core.app import Engine
from core.config import Settings
from desktop.app import build_window
from desktop.player import default_player_factory
from desktop.tasks import InlineExecutor
from desktop.window import MainWindow
from tests.helpers import NO_MODELS, HashEmbedder, make_image, make_pdf, write

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"


class MemoryKeyring(KeyringBackend):
    """A keyring that forgets everything at the end of the test."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """Notes, photos and PDFs about a few topics; 'lighthouse' is in one of each kind."""
    root = tmp_path / "memories"
    write(
        root / "notes" / "sourdough.md",
        "# Sourdough\n\nFeed the starter with rye flour the night before baking bread.\n\n"
        "## Baking\n\nBake the bread in a dutch oven, lid on for twenty minutes.\n",
    )
    write(
        root / "notes" / "lighthouse-trip.md",
        "# Lighthouse trip\n\nWe climbed the lighthouse at dawn; the keeper showed us the "
        "lamp and the logbook.\n",
    )
    write(
        root / "notes" / "cats.md",
        "# Miso the cat\n\nThe grey cat sleeps on the sofa and asks for dinner at six.\n",
    )
    write(
        root / "notes" / "garden.txt",
        "Garden plan: tomatoes by the fence, basil between them, water twice a week.\n",
    )
    write(
        root / "work" / "pricing.md",
        "# Pricing workshop\n\n## Whiteboard\n\nThree pricing tiers: free, plus and team; "
        "the team tier is priced per seat.\n",
    )
    make_image(root / "photos" / "lighthouse.png", (96, 64))
    make_image(root / "photos" / "cat-on-sofa.jpg", (80, 60), taken="2026:03:12 15:04:00")
    make_pdf(
        root / "docs" / "lighthouse-report.pdf",
        ["Lighthouse keeper report: the lamp was cleaned", "The logbook was signed"],
    )
    return root


@pytest.fixture
def broken_file(corpus: Path) -> Path:
    bad = corpus / "photos" / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 this is not really a JPEG")
    return bad


class Recorder:
    """Stands in for the desktop's Open / Show in folder handlers."""

    def __init__(self) -> None:
        self.opened: list[str] = []
        self.revealed: list[str] = []


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


WindowFactory = Callable[..., MainWindow]


@pytest.fixture
def make_window(qtbot: Any, tmp_path: Path, recorder: Recorder) -> WindowFactory:
    """Build a window over ``folders`` with the hash embedder; ``threads=True`` for real pools,
    ``models=True`` for the real OCR / speech / photo-tag models.

    The window syncs as the app does (``core.sync.Syncer``: a start-up scan, then the
    watcher); ``sync=False`` runs one ``engine.index()`` pass instead. An inline window is
    returned once its start-up scan is in (see ``synced``)."""

    def factory(
        folders: list[Path],
        *,
        embedder: Any = None,
        threads: bool = False,
        start: bool = True,
        sync: bool = True,
        player: bool = True,
        opener: Any = None,
        revealer: Any = None,
        models: bool = False,
        **settings_fields: Any,
    ) -> MainWindow:
        embedder = embedder or HashEmbedder()
        settings = Settings(folders=[str(f) for f in folders], **settings_fields)
        # the real models cost seconds per synthetic photo and are the media tests' business
        readers = None if models else NO_MODELS

        def engine_factory(s: Settings, rebuild: bool) -> Engine:
            return Engine(
                s, data=tmp_path / "data", embedder=embedder, rebuild=rebuild, readers=readers
            )

        inline = None if threads else InlineExecutor
        window = build_window(
            settings,
            engine_factory=engine_factory,
            queries=inline() if inline else None,
            background=inline() if inline else None,
            thumbnail_executor=inline() if inline else None,
            settings_file=tmp_path / "config" / "settings.toml",
            thumbnail_dir=tmp_path / "thumbs",
            progress_interval=0.0,
            sync=sync,
            opener=opener or recorder.opened.append,
            revealer=revealer or recorder.revealed.append,
            temp_dir=tmp_path / "pasted",
            # the in-app player when QtMultimedia is installed; False: the default app plays
            player_factory=default_player_factory() if player else None,
        )
        qtbot.addWidget(window)
        window.resize(1180, 760)
        with qtbot.waitActive(window):
            window.show()
            window.activateWindow()
        if start and sync and not threads:
            with synced(window, qtbot):  # inline: ready when built, as without a syncer
                window.start()
        elif start:
            window.start()
        return window

    return factory


class SyncWatch:
    """Follows a window's syncer from the GUI side: has it gone idle, and has the window heard?"""

    def __init__(self, window: MainWindow) -> None:
        self.bridge = window.bridge
        self.heard = False  # the status that follows the syncer's last "idle" reached the GUI
        self._idle = False
        self.bridge.sync_state.connect(self._on_state)
        self.bridge.status_changed.connect(self._on_status)

    def _on_state(self, state: str) -> None:
        self._idle = state == "idle"
        self.heard = False

    def _on_status(self, _state: object) -> None:
        self.heard = self.heard or self._idle

    def done(self) -> bool:
        b = self.bridge
        if b.engine is None and not b.opening:
            return True  # the engine could not open: no syncer will run
        syncer = b._syncer
        return (
            syncer is not None
            and syncer.state == "idle"
            and syncer.idle.is_set()
            and self.heard
            and not b.indexing
        )

    def close(self) -> None:
        self.bridge.sync_state.disconnect(self._on_state)
        self.bridge.status_changed.disconnect(self._on_status)


@contextmanager
def synced(window: MainWindow, qtbot: Any, timeout: int = 30000) -> Iterator[None]:
    """Wait, after the block, until the window's syncer has done what it was given.

    The syncer scans and indexes on its own thread and tells the window through signals;
    done is: the current engine's syncer is idle and its last idle has reached the window
    (or the engine could not open).
    """
    watch = SyncWatch(window)
    try:
        yield
        qtbot.waitUntil(watch.done, timeout=timeout)
    finally:
        watch.close()


def shot(widget: Any, name: str) -> Path:
    """Save a screenshot of ``widget`` under tests/artifacts/screenshots/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    assert widget.grab().save(str(path))
    return path


class SlowEmbedder(HashEmbedder):
    """The hash embedder with a provider's latency (the GIL is free while it waits)."""

    def __init__(self, delay: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.delay = delay

    def embed_documents(self, pieces: Any) -> Any:
        time.sleep(self.delay * max(1, len(pieces)))
        return super().embed_documents(pieces)


@pytest.fixture
def themed():
    """Apply a theme for one test; the app's style, palette and sheet come back after it."""
    from PySide6.QtWidgets import QApplication

    from desktop.theme import apply_theme

    app = QApplication.instance()
    style, palette, sheet = app.style().name(), app.palette(), app.styleSheet()
    yield lambda theme: apply_theme(theme, app)
    app.setStyleSheet(sheet)
    app.setPalette(palette)
    app.setStyle(style)
