"""The settings dialog shows what switching to Gemini would cost before anything is sent."""

from __future__ import annotations

from pathlib import Path

from core.config import Settings
from desktop.settings_dialog import SettingsDialog
from tests.core.test_media_helpers import write_audio
from tests.helpers import write


def test_switching_to_gemini_shows_the_estimate_first(qtbot, tmp_path: Path) -> None:
    root = tmp_path / "vault"
    write(root / "a.md", "x" * 4000)
    write_audio(root / "memo.wav", 60)
    dialog = SettingsDialog(Settings(folders=[str(root)]), pick_folder=lambda _w: "")
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.cost.isVisible()  # the local model costs nothing
    dialog.provider.setCurrentIndex(dialog.provider.findData("gemini"))
    assert dialog.cost.isVisible()
    qtbot.waitUntil(lambda: "would cost about $" in dialog.cost.text(), timeout=10_000)
    text = dialog.cost.text()
    assert "2 files" in text and "batch mode" in text and "audio $" in text
    dialog.budget.setValue(3.5)
    assert dialog.result_settings().budget_usd == 3.5
