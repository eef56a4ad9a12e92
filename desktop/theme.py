"""Light and dark themes: the Fusion style, a palette, and ``resources/styles/loci.qss``."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from core.config import resources_dir

COLOURS = {
    "light": {
        "window": "#f6f7f9",
        "base": "#ffffff",
        "field": "#ffffff",
        "text": "#1f2430",
        "muted": "#6b7280",
        "line": "#dfe2e8",
        "accent": "#4f6df5",
        "hover": "#eceef3",
        "chip": "#e8edff",
        "chip_line": "#c9d3ff",
        "disabled": "#a3a9b4",
        "notice": "#fff4e5",
        "notice_line": "#f3c98b",
    },
    "dark": {
        "window": "#1c1e22",
        "base": "#232529",
        "field": "#2a2d32",
        "text": "#e7e9ee",
        "muted": "#9aa1ad",
        "line": "#363a41",
        "accent": "#6e86ff",
        "hover": "#30343a",
        "chip": "#2f3650",
        "chip_line": "#465083",
        "disabled": "#5f6570",
        "notice": "#3a2f20",
        "notice_line": "#7a5a2c",
    },
}


def resolve(theme: str) -> str:
    """``light`` or ``dark``: ``system`` follows the desktop's colour scheme."""
    if theme in COLOURS:
        return theme
    hints = QGuiApplication.styleHints()
    return "dark" if hints.colorScheme() == Qt.ColorScheme.Dark else "light"


def palette(name: str) -> QPalette:
    c = {k: QColor(v) for k, v in COLOURS[name].items()}
    p = QPalette()
    role = QPalette.ColorRole
    p.setColor(role.Window, c["window"])
    p.setColor(role.WindowText, c["text"])
    p.setColor(role.Base, c["base"])
    p.setColor(role.AlternateBase, c["window"])
    p.setColor(role.Text, c["text"])
    p.setColor(role.Button, c["field"])
    p.setColor(role.ButtonText, c["text"])
    p.setColor(role.Highlight, c["accent"])
    p.setColor(role.HighlightedText, QColor("#ffffff"))
    p.setColor(role.PlaceholderText, c["muted"])
    p.setColor(role.ToolTipBase, c["base"])
    p.setColor(role.ToolTipText, c["text"])
    p.setColor(role.Mid, c["line"])
    p.setColor(role.Link, c["accent"])
    off = QPalette.ColorGroup.Disabled  # a disabled control must look it
    for r in (role.ButtonText, role.Text, role.WindowText):
        p.setColor(off, r, c["disabled"])
    p.setColor(off, role.Button, c["window"])
    return p


def stylesheet(name: str) -> str:
    qss = (resources_dir() / "styles" / "loci.qss").read_text(encoding="utf-8")
    values = {**COLOURS[name], "icons": (resources_dir() / "icons").as_posix()}
    for key, value in values.items():
        qss = qss.replace("{" + key + "}", value)
    return qss


def apply_theme(theme: str, app: QApplication | None = None) -> str:
    """Style the whole app; returns the theme used (``light`` or ``dark``)."""
    if app is None:
        instance = QApplication.instance()
        assert isinstance(instance, QApplication)
        app = instance
    name = resolve(theme)
    app.setStyle("Fusion")
    app.setPalette(palette(name))
    app.setStyleSheet(stylesheet(name))
    return name
