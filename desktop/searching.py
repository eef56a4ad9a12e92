"""The search flow: the query (text, files, filters) goes to the bridge, hits come back to
the results list, and the results area says what is going on when there are none."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from core.config import Settings
from desktop.filters import FilterBar
from desktop.focus import Focus, words
from desktop.messages import message_html, no_match, welcome_html
from desktop.results import HitModel
from desktop.results_area import ResultsArea
from desktop.search_bar import SearchBar
from desktop.worker import Bridge, SearchRequest

if TYPE_CHECKING:
    from core.model import Hit


class SearchFlow(QObject):
    """Runs the query in the search field through the bridge; only the newest answer shows."""

    def __init__(
        self,
        bridge: Bridge,
        search: SearchBar,
        filters: FilterBar,
        model: HitModel,
        area: ResultsArea,
        focus: Focus,
        settings: Callable[[], Settings],
        open_settings: Callable[[], object],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.search = search
        self.filters = filters
        self.model = model
        self.area = area
        self.focus = focus
        self._settings = settings
        self._open_settings = open_settings
        self.last_query = ""
        self.engine_error = ""  # why the engine did not open, until it does
        bridge.searched.connect(self._on_searched)
        bridge.search_failed.connect(self._on_search_failed)
        search.query_changed.connect(self.run)
        search.cleared.connect(self.clear)
        filters.changed.connect(self.run)
        area.empty.linkActivated.connect(self._on_example)

    def request(self) -> SearchRequest:
        return SearchRequest(
            text=self.search.text,
            files=list(self.search.files),
            kinds=self.filters.kinds(),
            folder=self.filters.folder_path(),
            since=self.filters.since(),
        )

    def run(self) -> None:
        """Search for what the field and filters say now (or show the welcome when empty)."""
        if self.search.is_empty():
            self.clear()
            return
        request = self.request()
        self.last_query = request.text or ", ".join(p.name for p in request.files)
        if self.bridge.engine is None:
            # The engine is still loading (or failed): keep the query, say what happens next.
            # The window runs whatever is in the field once the engine opens.
            self.show_waiting()
            return
        self.bridge.search(request)

    def show_waiting(self) -> None:
        self.bridge.forget("search")
        self.model.clear()
        if self.engine_error:
            self.show_message("Cannot search yet", f"The index did not open: {self.engine_error}")
            return
        self.show_message(
            "Opening the index…",
            f"Your search for “{self.last_query}” runs as soon as it is ready.",
        )

    def clear(self) -> None:
        self.bridge.forget("search")  # drop answers still on their way
        self.model.clear()
        self.focus.forget()
        self.show_welcome()

    def _on_searched(self, rid: int, hits: list[Hit]) -> None:
        if not self.bridge.is_latest("search", rid):
            return
        terms = words(self.search.text)
        keep = self.focus.hit.path if self.focus.hit is not None else None
        self.model.set_hits(hits, terms)
        if not hits:
            self.focus.forget()
            self.show_no_match()
            return
        self.area.show_results()
        results = self.area.results
        row = self.model.row_of(keep) if keep else -1
        results.setCurrentIndex(self.model.index(max(row, 0)))
        results.scrollTo(results.currentIndex())

    def _on_search_failed(self, rid: int, message: str) -> None:
        if not self.bridge.is_latest("search", rid):
            return
        self.model.clear()
        self.show_message("Search failed", message)

    def show_welcome(self) -> None:
        self.area.show_text(welcome_html(self._settings()))

    def show_no_match(self) -> None:
        filtered = bool(self.filters.kinds() or self.filters.folder_path() or self.filters.since())
        self.show_message(
            *no_match(self.last_query, filtered=filtered, indexing=self.bridge.indexing)
        )

    def show_message(self, title: str, body: str) -> None:
        self.area.show_text(message_html(title, body))

    def _on_example(self, link: str) -> None:
        if link.startswith("q:"):
            self.search.set_text(link[2:])
        elif link == "settings:":
            self._open_settings()
