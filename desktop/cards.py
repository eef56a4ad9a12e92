"""The one delegate that paints a hit as a card (results), a tile (grid) or a compact row
(recall), from what ``desktop.results`` says about it."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QPainter,
    QPainterPath,
    QPalette,
    QPixmap,
    QTextDocument,
)
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from desktop.icons import kind_pixmap
from desktop.results import (
    HIT_ROLE,
    HitModel,
    Index,
    format_date,
    format_locator,
    highlight,
    time_range,
)
from desktop.thumbnails import Thumbnailer


def _cut(text: str, n: int) -> str:
    """``text`` shortened to about ``n`` characters at a word boundary, ending in "…"."""
    if n >= len(text):
        return text
    head = text[:n]
    space = head.rfind(" ")
    return (head[:space] if space > n // 2 else head).rstrip(" ,.;:…") + "…"


def _rounded(rect: QRectF, radius: float) -> QPainterPath:
    path = QPainterPath()
    path.addRoundedRect(rect, radius, radius)
    return path


class HitDelegate(QStyledItemDelegate):
    """Paints a hit as a ``card`` (results list), a ``tile`` (image grid) or ``compact`` row."""

    SIZES = {"card": QSize(0, 100), "tile": QSize(176, 204), "compact": QSize(0, 54)}

    def __init__(self, thumbnails: Thumbnailer, mode: str = "card", parent: Any = None) -> None:
        super().__init__(parent)
        self.thumbnails = thumbnails
        self.mode = mode

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return self.SIZES[self.mode]

    # ---- painting ----

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        hit = index.data(HIT_ROLE)
        if hit is None:
            return
        model = index.model()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = option.palette
        rect = QRectF(option.rect).adjusted(4, 3, -4, -3)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        if selected or hovered:
            fill = QColor(pal.color(QPalette.ColorRole.Highlight))
            fill.setAlpha(34 if selected else 16)
            painter.fillPath(_rounded(rect, 8), fill)
            if selected:
                edge = QColor(pal.color(QPalette.ColorRole.Highlight))
                edge.setAlpha(110)
                painter.setPen(edge)
                painter.drawPath(_rounded(rect, 8))
        top = model.top_score() if isinstance(model, HitModel) else 1.0
        if self.mode == "tile":
            self._paint_tile(painter, rect, hit, pal, top)
        else:
            self._paint_row(painter, rect, hit, pal, model, top)
        painter.restore()

    def _thumb(self, hit: Any) -> QPixmap | None:
        if self.mode == "compact" and hit.kind == "note":
            return None  # a page this small is noise: the note glyph reads better
        return self.thumbnails.pixmap(hit.path, hit.kind, hit.locator)

    def _draw_thumb(self, painter: QPainter, box: QRectF, hit: Any, pal: QPalette) -> None:
        pixmap = self._thumb(hit)
        ratio = painter.device().devicePixelRatioF() if painter.device() else 1.0
        if pixmap is None or pixmap.isNull():
            side = int(min(box.width(), box.height()) * 0.72)
            icon = kind_pixmap(hit.kind, side, ratio)
            x = box.x() + (box.width() - side) / 2
            y = box.y() + (box.height() - side) / 2
            painter.drawPixmap(QRectF(x, y, side, side), icon, QRectF(icon.rect()))
            return
        if hit.kind == "audio":
            self._draw_wave(painter, box, pixmap, pal)
            return
        # cover the box, cropping the longer side, with rounded corners
        src = QRectF(pixmap.rect())
        scale = max(box.width() / src.width(), box.height() / src.height())
        w, h = box.width() / scale, box.height() / scale
        if hit.kind in ("note", "pdf"):  # pages: keep the top, where the title is
            src = QRectF(src.x() + (src.width() - w) / 2, 0, w, h)
        else:
            src = QRectF(src.x() + (src.width() - w) / 2, src.y() + (src.height() - h) / 2, w, h)
        painter.save()
        painter.setClipPath(_rounded(box, 6))
        painter.drawPixmap(box, pixmap, src)
        painter.restore()
        edge = QColor(pal.color(QPalette.ColorRole.Mid))
        edge.setAlpha(90)
        painter.setPen(edge)
        painter.drawPath(_rounded(box, 6))
        if hit.kind == "video":
            self._draw_play_badge(painter, box)

    def _draw_wave(self, painter: QPainter, box: QRectF, wave: QPixmap, pal: QPalette) -> None:
        """A waveform fits the box's width on a quiet card: cropping it would lose the shape."""
        painter.save()
        back = QColor(pal.color(QPalette.ColorRole.Highlight))
        back.setAlpha(22)
        painter.fillPath(_rounded(box, 6), back)
        inner = box.adjusted(4, 4, -4, -4)
        src = QRectF(wave.rect())
        h = min(inner.height(), inner.width() * src.height() / src.width())
        target = QRectF(inner.x(), inner.y() + (inner.height() - h) / 2, inner.width(), h)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawPixmap(target, wave, src)
        painter.restore()

    @staticmethod
    def _draw_play_badge(painter: QPainter, box: QRectF) -> None:
        """A small play mark: this picture is a moment of a video."""
        side = max(14.0, min(26.0, min(box.width(), box.height()) * 0.26))
        circle = QRectF(box.right() - side - 4, box.bottom() - side - 4, side, side)
        painter.save()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 150))
        painter.drawEllipse(circle)
        c = circle.center()
        r = side * 0.22
        triangle = QPainterPath()
        triangle.moveTo(c.x() - r * 0.7, c.y() - r)
        triangle.lineTo(c.x() + r, c.y())
        triangle.lineTo(c.x() - r * 0.7, c.y() + r)
        triangle.closeSubpath()
        painter.fillPath(triangle, QColor("#ffffff"))
        painter.restore()

    def _draw_time(
        self, painter: QPainter, right: float, y: float, text: str, pal: QPalette
    ) -> float:
        """The segment's time range, right-aligned at ``right``; returns the left edge used."""
        font = QFont(painter.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.88))
        font.setBold(True)
        font.setStyleHint(QFont.StyleHint.Monospace)
        painter.setFont(font)
        fm = QFontMetrics(font)
        tw = fm.horizontalAdvance(text)
        pill = QRectF(right - tw - 10, y, tw + 10, fm.height() + 1)
        fill = QColor(pal.color(QPalette.ColorRole.Highlight))
        fill.setAlpha(30)
        painter.fillPath(_rounded(pill, pill.height() / 2), fill)
        painter.setPen(pal.color(QPalette.ColorRole.Highlight))
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)
        return pill.x() - 8

    def _draw_score(
        self,
        painter: QPainter,
        right: float,
        y: float,
        hit: Any,
        pal: QPalette,
        top: float,
        bar_w: float = 46,
    ) -> float:
        """Score number and relevance bar ending at ``right``; returns the left edge used."""
        font = QFont(painter.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        painter.setFont(font)
        fm = QFontMetrics(font)
        text = f"{hit.score:.2f}"
        bar = QRectF(right - bar_w, y + fm.ascent() / 2 - 2, bar_w, 5)
        track = QColor(pal.color(QPalette.ColorRole.Mid))
        track.setAlpha(70)
        painter.fillPath(_rounded(bar, 2.5), track)
        fill = max(0.06, min(1.0, hit.score / top if top > 0 else 0.0))
        accent = QColor(pal.color(QPalette.ColorRole.Highlight))
        painter.fillPath(
            _rounded(QRectF(bar.x(), bar.y(), bar.width() * fill, bar.height()), 2.5), accent
        )
        tw = fm.horizontalAdvance(text)
        painter.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(QRectF(bar.x() - tw - 6, y, tw + 2, fm.height()), text)
        return bar.x() - tw - 12

    def _paint_row(
        self, painter: QPainter, rect: QRectF, hit: Any, pal: QPalette, model: Any, top: float
    ) -> None:
        compact = self.mode == "compact"
        pad = 8
        side = rect.height() - 2 * pad
        thumb = QRectF(rect.x() + pad, rect.y() + pad, side, side)
        self._draw_thumb(painter, thumb, hit, pal)
        x = thumb.right() + 12
        right = rect.right() - 10
        base = QFont(painter.font())
        title_font = QFont(base)
        title_font.setBold(True)
        if not compact:
            title_font.setPointSizeF(base.pointSizeF() * 1.06)
        tfm = QFontMetrics(title_font)
        y = rect.y() + pad - 1
        title_left = self._draw_score(
            painter,
            right,
            y + (tfm.height() - QFontMetrics(painter.font()).height()) / 2,
            hit,
            pal,
            top,
        )
        when = time_range(hit.locator)
        if when and not compact:  # where to listen or look, next to the title (UX sketch)
            title_left = self._draw_time(painter, title_left, y + 1, when, pal)
        painter.setFont(title_font)
        painter.setPen(pal.color(QPalette.ColorRole.Text))
        title = hit.title or os.path.basename(hit.path)
        painter.drawText(
            QRectF(x, y, title_left - x, tfm.height()),
            tfm.elidedText(title, Qt.TextElideMode.ElideRight, int(title_left - x)),
        )
        y += tfm.height() + 1
        meta_font = QFont(base)
        meta_font.setPointSizeF(base.pointSizeF() * 0.9)
        painter.setFont(meta_font)
        mfm = QFontMetrics(meta_font)
        folder = model.folder_of(hit.path) if isinstance(model, HitModel) else ""
        where = "" if when and not compact else format_locator(hit.locator)
        parts = [p for p in (folder, format_date(hit.modified), where) if p]
        if compact:
            parts = [p for p in (folder, format_locator(hit.locator)) if p]
        meta = "  ·  ".join(parts)
        painter.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(
            QRectF(x, y, right - x, mfm.height()),
            mfm.elidedText(meta, Qt.TextElideMode.ElideMiddle, int(right - x)),
        )
        y += mfm.height() + 3
        if compact or not hit.snippet:
            return
        self._draw_snippet(
            painter,
            QRectF(x, y, right - x, rect.bottom() - pad - y + 2),
            hit,
            pal,
            model.terms if isinstance(model, HitModel) else [],
        )

    def _draw_snippet(
        self, painter: QPainter, box: QRectF, hit: Any, pal: QPalette, terms: Sequence[str]
    ) -> None:
        doc = self.snippet_doc(hit, terms, pal, QFont(painter.font()), box)
        painter.save()
        painter.translate(box.topLeft())
        painter.setClipRect(QRectF(0, 0, box.width(), box.height()))
        painter.setOpacity(0.86)
        doc.drawContents(painter, QRectF(0, 0, box.width(), box.height()))
        painter.restore()

    @staticmethod
    def snippet_doc(
        hit: Any, terms: Sequence[str], pal: QPalette, font: QFont, box: QRectF
    ) -> QTextDocument:
        """The highlighted snippet laid out in ``box``: whole lines only, "…" where cut."""
        doc = QTextDocument()
        doc.setDocumentMargin(0)
        doc.setDefaultFont(font)
        text_color = pal.color(QPalette.ColorRole.Text).name()
        accent = QColor(pal.color(QPalette.ColorRole.Highlight))
        accent.setAlpha(60)
        hl_bg = f"rgba({accent.red()},{accent.green()},{accent.blue()},{accent.alpha()})"
        doc.setDefaultStyleSheet(
            f"body {{ color: {text_color}; }} .hl {{ background-color: {hl_bg}; }}"
        )
        snippet = hit.snippet.replace("\n", " ")[:320]
        words = terms or hit.matched_terms
        doc.setTextWidth(box.width())
        doc.setHtml(f"<body>{highlight(snippet, words)}</body>")
        if doc.size().height() > box.height() + 1:
            # Cut at a word so that the text and "…" fit: never half a line at the bottom.
            lo, hi = 0, len(snippet)
            while lo < hi:
                mid = (lo + hi + 1) // 2
                doc.setHtml(f"<body>{highlight(_cut(snippet, mid), words)}</body>")
                if doc.size().height() <= box.height() + 1:
                    lo = mid
                else:
                    hi = mid - 1
            doc.setHtml(f"<body>{highlight(_cut(snippet, lo), words)}</body>")
        return doc

    def _paint_tile(
        self, painter: QPainter, rect: QRectF, hit: Any, pal: QPalette, top: float
    ) -> None:
        pad = 8
        thumb = QRectF(
            rect.x() + pad, rect.y() + pad, rect.width() - 2 * pad, rect.height() - 2 * pad - 34
        )
        self._draw_thumb(painter, thumb, hit, pal)
        y = thumb.bottom() + 5
        base = QFont(painter.font())
        fm = QFontMetrics(base)
        painter.setPen(pal.color(QPalette.ColorRole.Text))
        title = hit.title or os.path.basename(hit.path)
        painter.drawText(
            QRectF(thumb.x(), y, thumb.width(), fm.height()),
            fm.elidedText(title, Qt.TextElideMode.ElideMiddle, int(thumb.width())),
        )
        y += fm.height()
        left = self._draw_score(painter, thumb.right(), y, hit, pal, top, bar_w=36)
        meta_font = QFont(base)
        meta_font.setPointSizeF(base.pointSizeF() * 0.86)
        painter.setFont(meta_font)
        painter.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(
            QRectF(thumb.x(), y, left - thumb.x(), fm.height()),
            time_range(hit.locator) or format_date(hit.modified),
        )
