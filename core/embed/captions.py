"""The shared form of offline photo captions, as one direction to take out of their vectors.

Offline, a photo reaches the text-only model through a sentence built from its tags ("A cat.
Shows: cat, animal."). Every such sentence has the same form, so to the model two photos of
unrelated things look alike (a cat and a horse 0.40), more alike than the cat photo and a note
about the cat (0.30), and recall from a photo listed other photos first. The mean vector of
captions of many unrelated subjects is that shared form; taking most of its component out of a
photo's vector leaves more of what the photo shows.

The subjects are fixed here, never taken from the user's folder, so a photo's vector does not
depend on what else is indexed. Changing them, or ``STRENGTH``, changes stored photo vectors:
change the local model's ``revisions`` with it, and an index re-embeds its photos once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from core.model import Piece

# How much of a photo vector's component along the caption form is removed (0: none, 1: all).
# Chosen on the tuning sets of `make quality`: recall from a photo ranks the notes about its
# subject first from 0.3 up; from 0.5 the "photos among notes" queries start to lose ground.
STRENGTH = 0.4

# Everyday subjects with the broader word the tagger adds, as photos are described.
SUBJECTS: tuple[tuple[str, str], ...] = tuple(
    (thing.replace("_", " "), broader)
    for thing, broader in (
        pair.split(":")
        for pair in """
    cat:animal dog:animal horse:animal bird:animal fish:animal cow:animal sheep:animal
    butterfly:animal car:vehicle bicycle:vehicle bus:vehicle train:vehicle boat:vehicle
    aeroplane:vehicle motorbike:vehicle truck:vehicle coffee:drink wine:drink beer:drink
    tea:drink pizza:food cake:food bread:food banana:food apple:food sandwich:food soup:food
    ice_cream:food chair:furniture table:furniture sofa:furniture bed:furniture
    laptop:computer keyboard:computer phone:device television:device clock:object
    vase:object book:object umbrella:object cup:tableware bottle:tableware bowl:tableware
    plate:tableware guitar:instrument piano:instrument violin:instrument drum:instrument
    flower:plant tree:plant mushroom:plant cactus:plant mountain:landscape beach:landscape
    lake:landscape volcano:landscape bridge:building church:building castle:building
    house:building person:people backpack:bag shoe:clothing hat:clothing
    """.split()
    )
)


def captions() -> list[Piece]:
    """Photo pieces as the offline extractor words them, one or two subjects each."""
    from core.extract.image import describe

    out: list[Piece] = []
    n = len(SUBJECTS)
    for i, (subject, broader) in enumerate(SUBJECTS):
        other, other_broader = SUBJECTS[(i * 7 + 3) % n]
        for things in ([(subject, broader)], [(subject, broader), (other, other_broader)]):
            subjects = [t for t, _ in things]
            shows = list(dict.fromkeys(w for pair in things for w in pair))
            name = f"IMG_{2000 + len(out)}.jpg"
            text, gist = describe(Path(name), None, subjects, shows, "", "", None)
            out.append(Piece(kind="image", title=name, text=text, embed_text=gist))
    return out


def form_direction(embed: Callable[[Sequence[Piece]], np.ndarray]) -> np.ndarray:
    """The unit vector of the caption form for the model behind ``embed``."""
    mean = embed(captions()).mean(axis=0)
    return (mean / np.linalg.norm(mean)).astype(np.float32)


def without_form(vectors: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """``vectors`` (unit rows) with ``STRENGTH`` of their component along ``direction`` removed.

    Not made unit length again: that would scale what is left of a caption up by a third and
    lift every photo for every query. Left as they are, two captions' dot product loses most
    of what their form shares, a caption and a note (whose form component is small) lose little,
    and a query for what a photo shows still finds it."""
    return vectors - STRENGTH * np.outer(vectors @ direction, direction)
