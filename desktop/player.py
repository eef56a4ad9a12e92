"""A small player for the preview pane: plays an audio or video hit from its segment's start.

QtMultimedia comes with PySide6-Addons (its wheels bundle FFmpeg; it plays offscreen and
with no sound device, the clock still runs). Without it, ``player_available()`` is False
and the app hands media to the default application instead, showing the time range.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPainterPath, QPaintEvent, QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QStyle, QWidget

from core.model import clock


def _quiet_multimedia() -> None:
    """FFmpeg's stream dumps and Qt's probing for optional libraries (PipeWire, VA-API) are
    noise in a terminal; the rules must be set before QtMultimedia loads, when it probes.
    ``QT_LOGGING_RULES`` still overrides them for debugging."""
    from PySide6.QtCore import QLoggingCategory

    QLoggingCategory.setFilterRules(
        "qt.multimedia.ffmpeg*=false\nqt.multimedia.symbolsresolver=false"
    )


def player_available() -> bool:
    """True when QtMultimedia (PySide6-Addons) can be imported."""
    _quiet_multimedia()
    try:
        from PySide6 import QtMultimedia, QtMultimediaWidgets  # noqa: F401
    except ImportError:
        return False
    return True


class SeekBar(QWidget):
    """The whole file as a track, the matched segment as a band, and the play head.

    Click or drag to move the play head; ``seek_requested(ms)`` says where to.
    """

    seek_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.duration = 0  # ms
        self.position = 0
        self.segment = (0, 0)
        self.setMinimumHeight(18)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAccessibleName("Position")

    def sizeHint(self) -> QSize:
        return QSize(200, 18)

    def set_state(self, duration: int, position: int, segment: tuple[int, int]) -> None:
        self.duration, self.position, self.segment = max(0, duration), max(0, position), segment
        self.update()

    def _track(self) -> QRectF:
        r = QRectF(self.rect()).adjusted(7, 0, -7, 0)
        return QRectF(r.x(), r.center().y() - 2.5, r.width(), 5)

    def _x(self, ms: int) -> float:
        track = self._track()
        total = max(self.duration, self.segment[1], 1)
        return track.x() + track.width() * min(1.0, ms / total)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        accent = pal.color(QPalette.ColorRole.Highlight)
        track = self._track()
        back = QColor(pal.color(QPalette.ColorRole.Mid))
        p.fillPath(_pill(track), back)
        band = QColor(accent)
        band.setAlpha(70)
        x0, x1 = self._x(self.segment[0]), self._x(self.segment[1])
        p.fillPath(_pill(QRectF(x0, track.y() - 2, max(4.0, x1 - x0), track.height() + 4)), band)
        head = self._x(self.position)
        p.fillPath(_pill(QRectF(track.x(), track.y(), head - track.x(), track.height())), accent)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(accent)
        p.drawEllipse(QPointF(head, track.center().y()), 6, 6)
        p.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._seek_to(event.position().x())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._seek_to(event.position().x())

    def _seek_to(self, x: float) -> None:
        track = self._track()
        if self.duration <= 0 or track.width() <= 0:
            return
        share = min(1.0, max(0.0, (x - track.x()) / track.width()))
        self.seek_requested.emit(int(share * self.duration))


def _pill(rect: QRectF) -> QPainterPath:
    path = QPainterPath()
    path.addRoundedRect(rect, rect.height() / 2, rect.height() / 2)
    return path


class MediaPlayer(QWidget):
    """Play/pause, the seek bar and the time; ``video`` is the picture, shown by the pane.

    ``load`` is cheap (FFmpeg opens the file on Qt's own thread) and leaves the player
    paused at the segment's start; ``play_segment`` plays from there.
    """

    playing_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        _quiet_multimedia()
        from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
        from PySide6.QtMultimediaWidgets import QVideoWidget

        self._status = QMediaPlayer.MediaStatus
        self.player = QMediaPlayer(self)
        self.audio = QAudioOutput(self)
        self.player.setAudioOutput(self.audio)
        self.video = QVideoWidget()
        self.video.setMinimumHeight(90)
        self.player.setVideoOutput(self.video)
        for signal in (self.audio.volumeChanged, self.player.sourceChanged, self.video.destroyed):
            _without_gil_later(signal)
        self.path = ""
        self.span = (0, 0)  # the segment, ms
        self._pending: int | None = None  # seek once the file is open
        self._play_after_seek = False

        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(8)
        self.play_button = QPushButton()
        self.play_button.setObjectName("playButton")
        self.play_button.clicked.connect(self.toggle)
        self.seek_bar = SeekBar()
        self.seek_bar.seek_requested.connect(self.player.setPosition)
        self.time = QLabel("")
        self.time.setObjectName("paneSubtitle")
        row.addWidget(self.play_button)
        row.addWidget(self.seek_bar, 1)
        row.addWidget(self.time)

        self.player.positionChanged.connect(self._on_position_changed)
        self.player.durationChanged.connect(lambda _d: self._refresh())
        self.player.mediaStatusChanged.connect(self._on_status_changed)
        self.player.playbackStateChanged.connect(self._on_state_changed)
        self._refresh()

    # ---- what the pane calls ----

    def load(self, path: str, seconds: tuple[float, float]) -> None:
        """Open ``path`` paused at the segment start (a new file only if it changed)."""
        span = (int(seconds[0] * 1000), int(seconds[1] * 1000))
        if path != self.path:
            self.path, self.span = path, span
            self._pending = span[0]
            self._play_after_seek = False
            self.player.setSource(QUrl.fromLocalFile(path))
        elif span != self.span:  # another segment of the same file
            self.span = span
            self._seek(span[0], play=self.is_playing())
        self._refresh()  # the same moment again (the preview arriving after Enter): carry on

    def play_segment(self) -> None:
        """Play from the segment's start."""
        self._seek(self.span[0], play=True)

    def toggle(self) -> None:
        if self.is_playing():
            self.player.pause()
        elif self.player.mediaStatus() == self._status.EndOfMedia:
            self.play_segment()  # played to the end: again from the matched moment
        elif self._pending is not None:
            self._play_after_seek = True  # still opening: play once it has sought
        else:
            self.player.play()

    def stop(self) -> None:
        """Stop and let go of the file (an empty source stops too: one call into the engine)."""
        self.player.setSource(QUrl())
        self.path = ""
        self._pending = None
        self._refresh()

    def is_playing(self) -> bool:
        return self.player.playbackState() == self.player.PlaybackState.PlayingState

    def source(self) -> QUrl:
        return self.player.source()

    def position(self) -> int:
        return self.player.position()

    # ---- internals ----

    def _opened(self) -> bool:
        s = self._status
        return self.player.mediaStatus() in (
            s.LoadedMedia,
            s.BufferingMedia,
            s.BufferedMedia,
            s.EndOfMedia,
        )

    def _seek(self, ms: int, *, play: bool) -> None:
        if not self._opened():
            self._pending, self._play_after_seek = ms, play
            return
        self.player.setPosition(ms)
        if play:
            self.player.play()

    def _on_status_changed(self, status: Any) -> None:
        if status == self._status.LoadedMedia and self._pending is not None:
            ms, play = self._pending, self._play_after_seek
            self._pending = None
            self._seek(ms, play=play)
        elif status == self._status.InvalidMedia:
            self.time.setText("Cannot play this file")

    def _on_state_changed(self, _state: Any) -> None:
        self._refresh()
        self.playing_changed.emit(self.is_playing())

    def _on_position_changed(self, _ms: int) -> None:
        self._refresh()

    def _refresh(self) -> None:
        playing = self.is_playing()
        style = self.style()
        icon = (
            QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        )
        self.play_button.setIcon(style.standardIcon(icon))
        start = clock(self.span[0] / 1000)
        self.play_button.setText("Pause" if playing else f"Play from {start}")
        self.play_button.setToolTip(
            "Pause" if playing else f"Play the matched moment from {start} (Enter)"
        )
        duration = self.player.duration()
        position = self.player.position() if self._pending is None else self._pending
        self.seek_bar.set_state(duration, position, self.span)
        if self.player.mediaStatus() != self._status.InvalidMedia:
            total = f" / {clock(duration / 1000)}" if duration > 0 else ""
            self.time.setText(f"{clock(position / 1000)}{total}")


def _without_gil_later(signal: Any) -> None:
    """Connect and disconnect once, so the object's wrapper learns it has no Python
    ``connectNotify``/``disconnectNotify`` and never takes the GIL for them again.

    Why: Qt's FFmpeg threads connect to and disconnect from the player and the audio output
    (created here, so PySide wrappers) when a file is opened or closed; each wrapper asks
    Python for an override the first time, which needs the GIL. If the GUI thread, holding
    the GIL, is at that moment inside the player waiting for the signal-slot lock the FFmpeg
    thread holds, both wait forever (seen once in the test suite: ``stop()`` vs. the audio
    renderer's teardown). shiboken caches "no override" per object, so one lookup made here,
    on the GUI thread, removes that path.
    """

    def nothing(*_args: Any) -> None:
        pass

    signal.connect(nothing)
    signal.disconnect(nothing)


PlayerFactory = Callable[[], MediaPlayer]


def default_player_factory() -> PlayerFactory | None:
    """The real player when QtMultimedia is there; None: media opens in the default app."""
    return MediaPlayer if player_available() else None
