"""OCR keeps words and drops fragments that are not: a drawn ring read as a lone "O"."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw, ImageFont

from core.extract.ocr import RapidOcr, is_word_like, ocr_available


def test_word_like_fragments() -> None:
    for word in ("PRICING TIERS", "4.50", "12", "I", "a", "Straße", "東京", "日", "x2"):
        assert is_word_like(word), word
    for noise in ("O", "o", "|", "-", "..", "", "  ", "0", "'", "°"):
        assert not is_word_like(noise), noise


@pytest.mark.skipif(not ocr_available(), reason="rapidocr-onnxruntime is not installed")
def test_a_ring_in_a_photo_is_not_read_as_a_letter() -> None:
    img = Image.new("RGB", (900, 500), "white")
    draw = ImageDraw.Draw(img)
    try:
        font = ImageFont.truetype("DejaVuSans.ttf", 48)
    except OSError:
        font = ImageFont.load_default(size=48)
    draw.text((60, 60), "PRICING TIERS", fill="black", font=font)
    draw.ellipse((600, 250, 700, 350), outline="black", width=12)  # read as "O" before
    assert RapidOcr().read(img) == "PRICING TIERS"
