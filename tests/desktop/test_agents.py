"""The Settings dialog shows the `loci mcp` configuration for each client, and copies it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from PySide6.QtGui import QGuiApplication

from core.mcp.config import CLIENTS


def test_the_snippet_names_the_installed_loci_and_copies(make_window, corpus, qtbot):
    window = make_window([corpus])
    dialog = window.open_settings()
    qtbot.waitExposed(dialog)
    box = dialog.agents
    expected_loci = Path(sys.executable).parent / "loci"  # this venv's command
    for i, client in enumerate(CLIENTS):
        box.client.setCurrentIndex(i)
        config = json.loads(box.text.toPlainText())
        entry = config["mcpServers"]["loci"]
        assert entry["command"] == str(expected_loci) and entry["args"] == ["mcp"]
        assert CLIENTS[client] in box.where.text()
    box.copy.click()
    assert json.loads(QGuiApplication.clipboard().text()) == config
    assert box.copy.text() == "Copied"
    dialog.reject()
