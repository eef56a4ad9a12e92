"""Settings: the dialog edits, saves to the config folder, and the API key goes to the keyring."""

from __future__ import annotations

from PySide6.QtCore import Qt

from core import secrets
from core.config import Settings


def test_settings_round_trip(make_window, corpus, qtbot, tmp_path, memory_keyring, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    themes: list[str] = []
    window = make_window([corpus])
    window.apply_theme = themes.append
    dialog = window.open_settings()
    qtbot.waitExposed(dialog)
    extra = tmp_path / "more"
    extra.mkdir()
    dialog.add_folder(str(extra))
    dialog.folders.topLevelItem(1).setCheckState(1, Qt.CheckState.Checked)
    dialog.excludes.setPlainText("*.log\ndrafts/**\n")
    dialog.provider.setCurrentIndex(dialog.provider.findData("gemini"))
    dialog.dims.setCurrentIndex(dialog.dims.findData(768))
    dialog.api_key.setText("  AIza-test-key  ")
    dialog.theme.setCurrentIndex(dialog.theme.findData("dark"))
    dialog.tray.setChecked(True)
    with qtbot.waitSignal(window.bridge.engine_opened, timeout=10000):  # applied at once
        dialog.accept()

    saved = Settings.load(tmp_path / "config" / "settings.toml")
    assert saved.folders == [str(corpus), str(extra)]
    assert saved.local_only == [str(extra)]
    assert saved.excludes == ["*.log", "drafts/**"]
    assert (saved.provider, saved.dims, saved.theme) == ("gemini", 768, "dark")
    assert saved.keep_running_in_tray is True
    assert saved == window.settings
    assert themes == ["dark"]
    # the key went to the keyring, and nowhere near the settings file
    assert secrets.get_api_key() == "AIza-test-key"
    assert memory_keyring.secrets == {("loci", "gemini-api-key"): "AIza-test-key"}
    assert "AIza" not in (tmp_path / "config" / "settings.toml").read_text()

    again = window.open_settings()
    assert again.folder_paths() == [str(corpus), str(extra)]
    assert again.provider.currentData() == "gemini" and again.dims.currentData() == 768
    assert again.api_key.text() == "" and "saved in the system keyring" in (
        again.api_key.placeholderText()
    )
    assert again.result_settings() == saved
    again.reject()


def test_cancel_changes_nothing(make_window, corpus, qtbot, tmp_path):
    window = make_window([corpus])
    dialog = window.open_settings()
    dialog.excludes.setPlainText("*")
    dialog.reject()
    assert not (tmp_path / "config" / "settings.toml").exists()
    assert window.settings.excludes != ["*"]


def test_autostart_entry_follows_the_checkbox(make_window, corpus, qtbot, tmp_path, monkeypatch):
    from desktop import autostart

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    window = make_window([corpus])
    dialog = window.open_settings()
    dialog.autostart.setChecked(True)
    dialog.accept()
    if autostart.supported():
        entry = tmp_path / "xdg" / "autostart" / "loci-desktop.desktop"
        assert "Exec=loci-desktop" in entry.read_text()
        window.open_settings().accept()  # still checked: stays
        assert entry.exists()


def test_a_key_the_keyring_refuses_is_reported(make_window, corpus, tmp_path, monkeypatch):
    import keyring
    from keyring.errors import KeyringError

    def refuse(*args: object) -> None:
        raise KeyringError("no D-Bus session")

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    window = make_window([corpus])
    monkeypatch.setattr(keyring.get_keyring(), "set_password", refuse)
    shown: list[str] = []
    monkeypatch.setattr(window.status, "show_error", shown.append)
    window.apply_settings(window.settings, api_key="AIza-test-key")

    assert shown == [
        "the system keyring refused the key (no D-Bus session); set GEMINI_API_KEY in the "
        "environment instead"
    ]
    assert "AIza" not in (tmp_path / "config" / "settings.toml").read_text()
