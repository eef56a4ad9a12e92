"""The focus: the hit the preview and recall are about, following the results' selection.

The preview and recall load once the selection stops moving (arrowing down a list does not
start a load per row); their answers come back through the bridge, and only the latest one
of each lane is shown.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QObject, QTimer
from PySide6.QtWidgets import QListView

from desktop.preview import Loaded, PreviewPane, load_pdf_page, load_preview
from desktop.recall import RecallPanel
from desktop.results import HIT_ROLE, HitModel
from desktop.thumbnails import Thumbnailer
from desktop.worker import Bridge

if TYPE_CHECKING:
    from core.model import Hit

SELECTION_SETTLE_MS = 120  # recall and preview follow the selection once it stops moving


def words(text: str) -> list[str]:
    """The query's words worth highlighting: the engine's own rule (no stop words)."""
    from core.search import query_terms

    return query_terms(text)


class Focus(QObject):
    """Keeps the preview and the recall panel on the focused hit."""

    def __init__(
        self,
        bridge: Bridge,
        thumbnails: Thumbnailer,
        results: QListView,
        model: HitModel,
        preview: PreviewPane,
        recall: RecallPanel,
        query_text: Callable[[], str],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.thumbnails = thumbnails
        self.results = results
        self.model = model
        self.preview = preview
        self.recall = recall
        self._query_text = query_text
        self.hit: Hit | None = None  # what the preview and recall are about
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SELECTION_SETTLE_MS)
        self._settle.timeout.connect(self.follow)
        results.selectionModel().currentChanged.connect(self._on_current_changed)
        recall.hit_activated.connect(self._on_recall_activated)
        recall.scratch_changed.connect(self._on_scratch_changed)
        preview.pdf.requested.connect(self._on_pdf_page_requested)
        bridge.recalled.connect(self._on_recalled)
        bridge.recall_failed.connect(self._on_recall_failed)
        bridge.loaded.connect(self._on_loaded)
        bridge.load_failed.connect(self._on_load_failed)

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        hit = current.data(HIT_ROLE)
        if hit is None:
            return
        self._show(hit)

    def _show(self, hit: Hit) -> None:
        self.hit = hit
        self.preview.show_hit(hit, self.model.folder_of(hit.path))
        self._settle.start()

    def follow(self) -> None:
        """Load the preview and recall for the focus (the selection has settled)."""
        hit = self.hit
        if hit is None:
            return
        cache = self.thumbnails.cache_dir
        terms = words(self._query_text()) or list(hit.matched_terms)
        if hit.kind == "pdf":
            self.preview.pdf.start(0)
            self.preview.pdf.resize(self.preview.stack.size())  # hidden until now: stale size
        width = self.preview.pdf.target_width()
        self.bridge.load(
            lambda: load_preview(hit.path, hit.kind, hit.locator.copy(), cache, terms, width),
            lane="preview",
        )
        if not self.recall.scratch_text():
            self.recall.set_source(
                hit.title or Path(hit.path).name, "Other memories, by dot product with this one"
            )
            self.bridge.recall(path=hit.path)

    def _on_pdf_page_requested(self, page: int, width: int) -> None:
        """Page up/down or zoom in the PDF preview: render that page at that width."""
        hit = self.hit
        if hit is None or hit.kind != "pdf":
            return
        terms = words(self._query_text()) or list(hit.matched_terms)
        self.bridge.load(lambda: load_pdf_page(hit.path, page, width, terms), lane="preview")

    def select(self, hit: Hit) -> None:
        """Make ``hit`` the focus: select it in the results if there, and recall from it."""
        row = self.model.row_of(hit.path)
        if row >= 0:
            self.results.setCurrentIndex(self.model.index(row))
        else:
            self.results.clearSelection()
            self.results.setCurrentIndex(QModelIndex())
            self._show(hit)

    def flush(self) -> None:
        """Follow a pending selection now (keyboard users pressing Enter; tests)."""
        if self._settle.isActive():
            self._settle.stop()
            self.follow()

    def forget(self) -> None:
        """Nothing is selected any more: the preview and recall say so."""
        self._settle.stop()
        self.hit = None
        self.bridge.forget("preview")
        self.bridge.forget("recall")
        self.preview.show_hit(None)
        if not self.recall.scratch_text():
            self.recall.clear()

    def _on_recall_activated(self, hit: Hit) -> None:
        if self.recall.scratch_text():
            self.recall.scratch.clear()
        self.select(hit)

    def _on_scratch_changed(self, text: str) -> None:
        if text:
            self.recall.set_source(
                text if len(text) < 40 else text[:38] + "…",
                "Memories related to what you are writing",
            )
            self.bridge.recall(text=text)
        elif self.hit is not None:
            self.follow()
        else:
            self.recall.clear()

    def _on_recalled(self, rid: int, hits: list[Hit]) -> None:
        if self.bridge.is_latest("recall", rid):
            self.recall.set_hits(hits)

    def _on_recall_failed(self, rid: int, message: str) -> None:
        if self.bridge.is_latest("recall", rid):
            self.recall.model.clear()
            self.recall.subtitle.setText(message)

    def _on_loaded(self, rid: int, loaded: Loaded) -> None:
        if self.bridge.is_latest("preview", rid):
            self.preview.show_loaded(loaded)

    def _on_load_failed(self, rid: int, message: str) -> None:
        if self.bridge.is_latest("preview", rid):
            self.preview.show_error(message)
