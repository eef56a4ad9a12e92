"""Icons and type glyphs from ``resources/icons`` (SVG, sharp at any DPI)."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QImage, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from core.config import resources_dir

KIND_ICONS = {"note": "note", "image": "image", "pdf": "pdf", "audio": "audio", "video": "video"}


def icon_path(name: str) -> str:
    return str(resources_dir() / "icons" / f"{name}.svg")


@cache
def icon(name: str) -> QIcon:
    return QIcon(icon_path(name))


def kind_icon(kind: str) -> QIcon:
    return icon(KIND_ICONS.get(kind, "file"))


def render_svg(name: str, size: int) -> QImage:
    """An SVG rendered to a transparent QImage: safe on any thread (no QPixmap)."""
    image = QImage(QSize(size, size), QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    QSvgRenderer(icon_path(name)).render(painter)
    painter.end()
    return image


def kind_pixmap(kind: str, size: int, ratio: float = 1.0) -> QPixmap:
    pixmap = kind_icon(kind).pixmap(QSize(size, size), ratio)
    return pixmap
