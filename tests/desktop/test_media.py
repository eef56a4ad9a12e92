"""Audio and video hits: the time range on the card, playing from the segment's start, and
the fallbacks (the default application; opening the folder when D-Bus cannot select)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl

from core.model import Hit
from desktop import reveal
from desktop.player import player_available
from desktop.results import HIT_ROLE, format_locator, time_range
from tests.core.test_media_helpers import write_audio, write_video
from tests.helpers import write

needs_player = pytest.mark.skipif(not player_available(), reason="QtMultimedia not installed")


@pytest.fixture
def media(tmp_path: Path) -> Path:
    root = tmp_path / "memories"
    write_audio(root / "memos" / "harbour-interview.wav", 30)
    write_video(root / "clips" / "harbour-walk.mp4", 12, fps=5, gop=5)
    write(root / "notes" / "harbour.md", "# Harbour\n\nBoats in the harbour at dawn.\n")
    return root


def hit(path: Path, kind: str, seconds: tuple[float, float] | None = None) -> Hit:
    locator = {"seconds": list(seconds)} if seconds else {}
    return Hit(str(path), kind, 0.8, path.name, "…the harbour at dawn…", locator, time.time())


def show(window, hits: list[Hit]) -> None:
    """Results as a search would leave them: the first one selected, its preview loaded."""
    window.model.set_hits(hits)
    window.left.setCurrentWidget(window.results)
    window.results.setCurrentIndex(window.model.index(0))
    window.flush_selection()


def test_media_hits_carry_their_time_range_and_segment_picture(make_window, media, qtbot):
    window = make_window([media])  # no speech model: found by name and time
    with qtbot.waitSignal(window.bridge.searched):
        window.search.set_text("harbour interview audio recording")
    first = window.model.index(0).data(HIT_ROLE)
    assert first.kind == "audio" and first.locator["seconds"] == [0.0, 30.0]
    assert time_range(first.locator) == "00:00–00:30" == format_locator(first.locator)
    assert "00:00–00:30" in window.preview.subtitle.text()
    window.grab()  # paints the cards: thumbnails are made (inline here) for each segment
    wave = window.thumbnails.pixmap(first.path, "audio", first.locator)
    assert wave is not None and wave.width() == 2 * wave.height()  # a waveform strip
    with qtbot.waitSignal(window.bridge.searched):
        window.search.set_text("harbour walk video")
    video = next(h for h in window.model.hits if h.kind == "video")
    assert video.locator["seconds"][0] == 0.0 and time_range(video.locator) == "00:00–00:12"
    window.grab()
    assert window.thumbnails.pixmap(video.path, "video", video.locator) is not None
    assert time_range({"heading": "Harbour"}) == ""  # notes keep their heading instead


@needs_player
def test_open_plays_audio_in_the_preview_from_the_segment_start(
    make_window, media, qtbot, recorder
):
    memo = media / "memos" / "harbour-interview.wav"
    window = make_window([media], start=False)
    show(window, [hit(memo, "audio", (12.0, 20.0)), hit(media / "notes" / "harbour.md", "note")])
    player = window.preview.player
    assert player is not None and player.isVisible()
    assert player.source() == QUrl.fromLocalFile(str(memo))  # opened, paused at the start
    qtbot.waitUntil(lambda: player.position() == 12_000)
    assert not player.is_playing()
    assert player.play_button.text() == "Play from 00:12"
    window.results.setFocus()
    qtbot.keyClick(window.results, Qt.Key.Key_Return)
    qtbot.waitUntil(player.is_playing)
    assert 12_000 <= player.position() < 20_000
    assert recorder.opened == []
    player.load(str(memo), (12.0, 20.0))  # the preview arriving after Enter: play on
    assert player.is_playing()  # played here, not handed to another application
    # moving on to a note lets go of the recording
    qtbot.keyClick(window.results, Qt.Key.Key_Down)
    window.flush_selection()
    assert not player.is_playing() and player.source() == QUrl()
    assert not player.isVisible()


@needs_player
def test_open_plays_video_live_in_the_preview(make_window, media, qtbot):
    clip = media / "clips" / "harbour-walk.mp4"
    window = make_window([media], start=False)
    show(window, [hit(clip, "video", (6.0, 12.0))])
    preview = window.preview
    assert preview.stack.currentWidget() is preview.image  # the segment's frame, until it plays
    window.open_current()
    qtbot.waitUntil(preview.player.is_playing)
    assert preview.stack.currentWidget() is preview.player.video
    assert preview.player.position() >= 6_000
    preview.player.toggle()
    qtbot.waitUntil(lambda: not preview.player.is_playing())


def test_without_a_player_open_hands_media_to_the_default_app(make_window, media, qtbot, recorder):
    memo = media / "memos" / "harbour-interview.wav"
    window = make_window([media], start=False, player=False)
    show(window, [hit(memo, "audio", (80.0, 180.0))])
    assert window.preview.player is None
    assert window.preview.media_hint.isVisible()
    assert "01:20–03:00" in window.preview.media_hint.text()  # where to look in the player
    assert "01:20–03:00" in window.preview.open_button.toolTip()
    assert window.preview.stack.currentWidget() is window.preview.image  # its waveform
    window.results.setFocus()
    qtbot.keyClick(window.results, Qt.Key.Key_Return)
    assert recorder.opened == [str(memo)]


class DeadBus:
    def isConnected(self) -> bool:
        return False


def test_show_in_folder_opens_the_folder_without_a_session_bus(tmp_path):
    target = write(tmp_path / "docs" / "a.md", "x")
    opened: list[QUrl] = []
    assert reveal.FileManager(DeadBus(), opened.append).show_items(str(target)) is False
    assert opened == [QUrl.fromLocalFile(str(tmp_path / "docs"))]


@pytest.fixture
def private_bus():
    """A session bus of our own (dbus-daemon), so no real file manager is ever asked."""
    daemon = shutil.which("dbus-daemon")
    if daemon is None:
        pytest.skip("dbus-daemon not installed")
    from PySide6.QtDBus import QDBusConnection

    proc = subprocess.Popen(
        [daemon, "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    names: list[str] = []

    def connect(who: str):
        bus = QDBusConnection.connectToBus(address, f"loci-test-{who}-{os.getpid()}")
        assert bus.isConnected()
        names.append(bus.name())
        return bus

    try:
        address = proc.stdout.readline().strip()
        yield connect
        for name in names:
            QDBusConnection.disconnectFromBus(name)
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()


def test_show_in_folder_falls_back_when_no_file_manager_answers(tmp_path, qtbot, private_bus):
    target = write(tmp_path / "docs" / "a.md", "x")
    opened: list[QUrl] = []
    manager = reveal.FileManager(private_bus("app"), opened.append)
    assert manager.show_items(str(target)) is True
    # nobody owns org.freedesktop.FileManager1 on this bus: the error reply opens the folder
    qtbot.waitUntil(lambda: opened == [QUrl.fromLocalFile(str(tmp_path / "docs"))])


def test_show_in_folder_asks_the_file_manager_to_select_the_file(tmp_path, qtbot, private_bus):
    from PySide6.QtCore import ClassInfo, QObject, Slot
    from PySide6.QtDBus import QDBusConnection

    @ClassInfo({"D-Bus Interface": "org.freedesktop.FileManager1"})
    class FileManager(QObject):
        """What Nautilus, Dolphin and friends export on the session bus."""

        def __init__(self) -> None:
            super().__init__()
            self.shown: list[list[str]] = []

        @Slot("QStringList", str)
        def ShowItems(self, uris: list[str], startup_id: str) -> None:  # noqa: N802
            self.shown.append(list(uris))

    manager = FileManager()
    server = private_bus("file-manager")
    assert server.registerService("org.freedesktop.FileManager1")
    assert server.registerObject(
        "/org/freedesktop/FileManager1", manager, QDBusConnection.RegisterOption.ExportAllSlots
    )
    target = write(tmp_path / "docs" / "a b.md", "x")
    opened: list[QUrl] = []
    files = reveal.FileManager(private_bus("app"), opened.append)
    assert files.show_items(str(target)) is True
    qtbot.waitUntil(lambda: manager.shown == [[QUrl.fromLocalFile(str(target)).toString()]])
    qtbot.waitUntil(lambda: not files.pending)  # the reply has come back
    assert opened == []  # selected in the file manager: no extra folder window
