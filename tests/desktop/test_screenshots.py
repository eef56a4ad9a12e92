"""Screenshots of the main states, on the demo folder with the real local model.

Saved under tests/artifacts/screenshots/ (git-ignored) for people to look at; the best
ones are copied to resources/screenshots/ for the README by hand.
"""

from __future__ import annotations

import dataclasses
import shutil
from fractions import Fraction
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from core.config import demo_folder
from desktop.results import HIT_ROLE
from tests.core.test_media_helpers import RATE, espeak_available, read_samples, speak
from tests.desktop.conftest import shot
from tests.helpers import make_pdf


def voice(tmp: Path, seconds: float, at: float, sentence: str) -> np.ndarray:
    """``seconds`` of room hiss with ``sentence`` spoken at ``at`` (16 kHz mono)."""
    track = (np.random.default_rng(7).standard_normal(int(seconds * RATE)) * 0.003).astype(
        np.float32
    )
    if espeak_available():
        said = read_samples(speak(tmp / "said.wav", sentence), RATE) * 0.8
        start = int(at * RATE)
        track[start : start + said.size] += said[: track.size - start]
    return track


def write_memo(path: Path, samples: np.ndarray) -> Path:
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=RATE, layout="mono")
        for i in range(0, samples.size, RATE):
            frame = av.AudioFrame.from_ndarray(
                samples[i : i + RATE].reshape(1, -1), format="flt", layout="mono"
            )
            frame.sample_rate, frame.pts, frame.time_base = RATE, i, Fraction(1, RATE)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def write_tram_ride(path: Path, samples: np.ndarray, fps: int = 5) -> Path:
    """A dusk sky over a hill, the sun going down: something a video thumbnail can show."""
    import av

    w, h = 320, 180
    seconds = samples.size / RATE
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    sky = np.stack([250 - y * 0.5, 150 - y * 0.3, 110 + y * 0.4], axis=-1)
    hill = y > 130 + 18 * np.sin(x / 45)
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = w, h, "yuv420p"
        video.options = {"preset": "ultrafast"}
        audio = out.add_stream("aac", rate=RATE, layout="mono")
        for second in range(int(seconds)):
            for i in range(fps):
                t = second + i / fps
                img = sky.copy()
                sun = (x - 60 - t * 1.5) ** 2 + (y - 40 - t * 0.6) ** 2 < 22**2
                img[sun] = (255, 226, 140)
                img[hill] = (52, 70, 60)
                frame = av.VideoFrame.from_ndarray(img.clip(0, 255).astype(np.uint8), "rgb24")
                frame.pts, frame.time_base = second * fps + i, Fraction(1, fps)
                out.mux(video.encode(frame))
            part = samples[second * RATE : (second + 1) * RATE]
            sound = av.AudioFrame.from_ndarray(part.reshape(1, -1), format="flt", layout="mono")
            sound.sample_rate, sound.pts, sound.time_base = RATE, second * RATE, Fraction(1, RATE)
            out.mux(audio.encode(sound))
        out.mux(video.encode(None))
        out.mux(audio.encode(None))
    return path


def add_media(demo: Path, tmp: Path) -> None:
    """A voice memo from a meeting and a holiday clip, with speech late in each."""
    write_memo(
        demo / "work" / "board-meeting.m4a",
        voice(tmp, 200, 184, "So the price of the team plan should be twelve euros per seat."),
    )
    write_tram_ride(
        demo / "journal" / "lisbon-tram.mp4",
        voice(tmp, 130, 122, "Here we are on tram twenty eight, climbing up to the castle."),
    )


def settle(window) -> None:
    """Paint once so thumbnails are made (inline here), then the grab shows them."""
    window.flush_selection()
    QApplication.sendPostedEvents()  # layouts asked for by new texts (elided labels)
    window.grab()
    window.recall.grab()


def test_screenshots_of_the_main_states(make_window, local_embedder, tmp_path, qtbot, themed):
    themed("light")
    demo = tmp_path / "demo"
    shutil.copytree(demo_folder(), demo)
    (demo / "work" / "scan-2019.pdf").write_bytes(b"%PDF-1.4 truncated by a bad download")
    make_pdf(
        demo / "work" / "home-insurance.pdf",
        [
            "Home insurance policy 2026 for the house at 12 Elm Road",
            "Water damage caused by burst pipes is covered when the heating was kept on",
            "Claims: call the claims line within 48 hours and keep the plumber's invoice",
            "Exclusions: wear and tear, gradual deterioration, damage by pets",
        ],
    )
    add_media(demo, tmp_path)
    # the real models: the board meeting is found by what is said in it, at that moment
    # One index pass, not the syncer: with the real OCR, speech and tag models the demo's
    # start-up scan outlasts the syncer fixture's 30 s wait on a busy machine.
    window = make_window([demo], embedder=local_embedder, models=True, sync=False)
    # present it as the demo folder, as on a first run (the engine keeps its own settings)
    window.settings = dataclasses.replace(window.settings, folders=[])
    window.searching.show_welcome()
    window.status.show_counts(dataclasses.replace(window.bridge.engine.status(), demo=True))
    settle(window)
    assert "demo folder" in window.empty.text()
    assert shot(window, "01-empty").exists()
    window.status.show_counts(window.bridge.engine.status())  # back to the copy's counts

    with qtbot.waitSignal(window.bridge.searched):
        window.search.set_text("whiteboard pricing")
    assert window.model.rowCount() >= 2
    settle(window)
    shot(window, "02-results")

    with qtbot.waitSignal(window.bridge.searched):
        window.search.set_text("photos")
    with qtbot.waitSignal(window.bridge.searched):
        window.filters.select_kind("Images")
    assert window.filters.is_grid() and window.model.rowCount() >= 2
    settle(window)
    shot(window, "03-image-grid")

    with qtbot.waitSignal(window.bridge.searched):
        window.filters.select_kind("All")
    with qtbot.waitSignal(window.bridge.searched):
        # the demo's clearest pair over the recall floor: the workshop note and its photo
        window.search.set_text("pricing workshop")
    window.flush_selection()
    view = window.recall.view
    index = window.recall.model.index(0)
    assert index.data(HIT_ROLE) is not None
    with qtbot.waitSignal(window.bridge.recalled):
        qtbot.mouseClick(
            view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(index).center()
        )
    settle(window)
    shot(window, "04-recall")

    with qtbot.waitSignal(window.bridge.recalled):
        window.recall.scratch.setPlainText("what should the team plan cost per seat?")
        window.recall.flush_scratch()
    settle(window)
    shot(window, "05-recall-while-writing")

    window.recall.scratch.clear()
    with qtbot.waitSignal(window.bridge.searched):
        window.search.set_text("invoice from the plumber in 2019")
    shot(window, "06-no-match")

    assert window.status.problems.isVisible()
    dialog = window.show_problems()
    qtbot.waitExposed(dialog)
    shot(window, "07-errors-status")
    shot(dialog, "08-errors-list")
    dialog.close()

    settings = window.open_settings()
    qtbot.waitExposed(settings)
    assert settings.demo_row is not None  # the demo, labelled as a sample, removable
    shot(settings, "09-settings")
    settings.reject()

    # a PDF hit opens on the page where the words are, highlighted
    with qtbot.waitSignal(window.bridge.searched):
        window.search.set_text("burst pipes water damage")
    row = window.model.row_of(str(demo / "work" / "home-insurance.pdf"))
    assert row >= 0
    window.results.setCurrentIndex(window.model.index(row))
    settle(window)
    assert window.preview.pdf.page == 2 and window.preview.pdf.page_widget.marks
    shot(window, "18-pdf-preview")
    for size, theme in (((800, 560), "light"), ((800, 560), "dark"), ((1600, 1000), "dark")):
        themed(theme)
        window.resize(*size)
        qtbot.waitUntil(lambda size=size: (window.width(), window.height()) == size)
        settle(window)
        qtbot.wait(20)
        shot(window, f"19-pdf-{size[0]}x{size[1]}-{theme}")
    themed("light")
    window.resize(1180, 760)

    themed("dark")
    with qtbot.waitSignal(window.bridge.searched):
        window.search.set_text("whiteboard pricing")
    settle(window)
    shot(window, "10-results-dark")

    # audio and video: the segment's time on the card, its waveform or frame, the player
    themed("light")
    with qtbot.waitSignal(window.bridge.searched):
        window.search.set_text("what price per seat for the team plan in the board meeting")
    memo = window.model.row_of(str(demo / "work" / "board-meeting.m4a"))
    assert memo >= 0
    memo_hit = window.model.hits[memo]
    assert memo_hit.locator["seconds"][0] > 0  # the moment it was said, not the file's start
    window.results.setCurrentIndex(window.model.index(memo))
    settle(window)
    player = window.preview.player
    window.open_current()  # Enter: plays from the segment's start, here
    if player is not None:
        qtbot.waitUntil(lambda: player.position() > memo_hit.locator["seconds"][0] * 1000)
    settle(window)
    shot(window, "11-audio-hit-playing")
    if player is not None:
        player.toggle()  # pause
        qtbot.waitUntil(lambda: not player.is_playing())

    with qtbot.waitSignal(window.bridge.searched):
        window.search.set_text("tram ride up to the castle in Lisbon")
    clip = window.model.row_of(str(demo / "journal" / "lisbon-tram.mp4"))
    assert clip >= 0
    window.results.setCurrentIndex(window.model.index(clip))
    settle(window)
    if player is not None:
        qtbot.waitUntil(lambda: player.player.duration() > 0)  # "01:58 / 02:10"
    shot(window, "12-video-hit")
    window.filters.grid_button.toggle()  # tiles say the moment instead of the date
    settle(window)
    shot(window, "13-media-grid")
    window.filters.grid_button.toggle()
