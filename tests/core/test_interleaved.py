"""A note and the images it links become ONE vector: one Content with text and image parts."""

from __future__ import annotations

import base64
from pathlib import Path

from core.app import Engine
from core.config import Settings
from core.embed.gemini import GeminiEmbedder
from tests.helpers import make_image, write


def _b64(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


def test_note_and_its_images_are_one_interleaved_content(gemini_server, tmp_path: Path) -> None:
    root = tmp_path / "vault"
    board = make_image(root / "img" / "board.png")
    secret = make_image(root / "private" / "face.png", size=(40, 40))
    outside = make_image(tmp_path / "elsewhere" / "x.png", size=(30, 20))
    write(
        root / "work" / "pricing.md",
        "# Whiteboard\nThe pricing tiers we drew. ![](../img/board.png) "
        "![](../private/face.png) ![](../../elsewhere/x.png)\n",
    )
    settings = Settings(folders=[str(root)], local_only=[str(root / "private")], provider="gemini")
    engine = Engine(settings, data=tmp_path / "data", embedder=GeminiEmbedder())
    for _ in engine.index():
        pass
    requests = [r for b in gemini_server.embed_bodies() for r in b["requests"]]
    (note,) = [r for r in requests if "pricing tiers" in r["content"]["parts"][0].get("text", "")]
    parts = note["content"]["parts"]
    assert parts[0]["text"].startswith("title: ") and len(parts) == 2
    assert parts[1]["inline_data"]["mime_type"] == "image/png"
    assert _b64(parts[1]["inline_data"]["data"]) == board.read_bytes()
    sent = b"".join(
        _b64(p["inline_data"]["data"])
        for r in requests
        for p in r["content"]["parts"]
        if "inline_data" in p
    )
    # never the local-only photo, never a file outside the indexed folders
    assert secret.read_bytes() not in sent and outside.read_bytes() not in sent
    assert sum(1 for r in requests if len(r["content"]["parts"]) > 1) >= 1
