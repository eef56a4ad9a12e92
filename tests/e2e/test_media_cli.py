"""A voice memo through the `loci` CLI: speech past the first 180 s is found in its segment."""

from __future__ import annotations

import re
import wave
from pathlib import Path

import pytest

from tests.core.test_media_helpers import espeak_available, speak
from tests.e2e.test_cli import hits, indexed, loci
from tests.helpers import write

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not espeak_available(), reason="needs espeak-ng (Debian)"),
]

SENTENCE = "Remember to renew the car insurance before the end of March."
SILENCE_BEFORE = 200.0  # seconds: the words land in the second segment, [175, end]


def padded(speech: Path, out: Path, before: float, after: float = 2.0) -> float:
    """``speech`` with ``before`` seconds of silence ahead of it; the length in seconds."""
    with wave.open(str(speech), "rb") as src:
        params = src.getparams()
        frames = src.readframes(src.getnframes())
    quiet = b"\0" * (params.sampwidth * params.nchannels)
    with wave.open(str(out), "wb") as dst:
        dst.setparams(params)
        dst.writeframes(quiet * int(before * params.framerate))
        dst.writeframes(frames)
        dst.writeframes(quiet * int(after * params.framerate))
        total = dst.tell()
    return total / params.framerate


def test_spoken_words_past_three_minutes_are_found_with_their_time(tmp_path: Path) -> None:
    root = tmp_path / "memories"
    voice = speak(tmp_path / "voice.wav", SENTENCE)
    memo = root / "memos" / "standup.wav"
    memo.parent.mkdir(parents=True)
    length = padded(voice, memo, SILENCE_BEFORE)
    write(root / "notes" / "garden.md", "# Garden\nPlant tomatoes and basil by the south wall.\n")
    write(root / "notes" / "bike.md", "# Bike\nReplace the chain and brake pads on the bike.\n")

    out = loci("index", str(root)).stdout
    assert indexed(out) == (3, 4), out  # two notes, and the memo in two segments

    found = hits("vehicle insurance renewal deadline")
    top = found[0]
    assert top["path"] == str(memo) and top["kind"] == "audio"
    start, end = top["locator"]["seconds"]
    assert start == 175.0 and end == pytest.approx(length, abs=0.1)
    # The transcript is time-coded in the file's own time: the words start at ~3:20.
    said = re.match(r"\[(\d+):(\d\d)\] (.*)", top["snippet"])
    assert said, top["snippet"]
    assert int(said[1]) * 60 + int(said[2]) == pytest.approx(SILENCE_BEFORE, abs=2)
    assert "insurance" in said[3].lower()
