"""The embedding side of an index run: rounds of pieces to the provider, one result per
piece, and what they cost (the budget, the spending and the tokens the provider reports)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core.cost import Budget
from core.embed.base import CountsUsage, Embedder, EmbedError, EmbedsEach, Priced
from core.index_rows import IndexReport, Work, error_row, file_row
from core.model import FileStatus, Piece
from core.store import FileUpdate, PieceRow, Store


class EmbeddingRounds:
    """The Indexer's embedding and spending (a base of :class:`core.index.Indexer`)."""

    store: Store
    embedder: Embedder
    budget: Budget | None

    def _raise_fatal(self) -> None:
        """After a round's results are kept: stop the run if one of them was fatal."""
        fatal, self._fatal = self._fatal, None
        if fatal is not None:
            raise fatal

    _fatal: EmbedError | None = None
    _stop: EmbedError | None = None

    def _collect(
        self,
        batch: list[Work],
        results: Sequence[np.ndarray | EmbedError],
        report: IndexReport,
    ) -> list[FileUpdate]:
        """The files' updates from their pieces' results; a piece's failure fails only
        its own file.

        A fatal failure (a rejected key) is raised only after this round's vectors are
        kept (:meth:`_raise_fatal`): the files whose pieces came back are stored, the
        others left for the next run.
        """
        pieces = [p for w in batch if not w.keyword_only for p in w.pieces if p.embed]
        self._gathered = max(0.0, self._gathered - sum(w.cost for w in batch))
        self._spend(pieces, results, report)
        vectors = iter(results)
        zero = np.zeros(self.store.ident.dims, dtype=np.float32)
        updates = []
        for w in batch:
            n = len(w.pieces)
            vecs: list[np.ndarray | EmbedError] = [
                next(vectors) if p.embed and not w.keyword_only else zero for p in w.pieces
            ]
            failure = next((v for v in vecs if isinstance(v, EmbedError)), None)
            if failure is not None:
                if failure.fatal:
                    self._fatal = self._fatal or failure
                    continue  # not recorded: the next run tries this file again
                if failure.offline:
                    self._stop = self._stop or failure
                if failure.transient:
                    report.pending += 1
                else:
                    report.errors += 1
                status = FileStatus.PENDING if failure.transient else FileStatus.ERROR
                updates.append(FileUpdate(error_row(w.entry, str(failure), w.kind, w.sha, status)))
                continue
            rows = [
                PieceRow(
                    piece=i,
                    kind=p.kind,
                    mime=p.mime,
                    title=p.title,
                    text=p.text,
                    locator=p.locator,
                    vector=vecs[i],  # type: ignore[arg-type]
                )
                for i, p in enumerate(w.pieces)
            ]
            if not w.keyword_only:
                report.embedded_pieces += sum(p.embed for p in w.pieces)
            updates.append(FileUpdate(file_row(w.entry, w.sha, w.kind, n), rows))
            report.indexed += 1
        return updates

    _spent = 0.0
    _gathered = 0.0

    def _price(self, pieces: Sequence[Piece]) -> float:
        if not isinstance(self.embedder, Priced):
            return 0.0
        return sum(self.embedder.price_of(p) for p in pieces)

    def _affordable(self, work: Work, report: IndexReport) -> bool:
        """Whether embedding this file too keeps the index within its budget.

        ``_gathered`` is the price of the files gathered for the next round, not yet sent.
        """
        if self.budget is None or self.budget.limit <= 0:
            return True
        cost = 0.0 if work.keyword_only else self._price(work.pieces)
        if self._spent + self._gathered + cost <= self.budget.limit + 1e-9:
            self._gathered += cost
            work.cost = cost
            return True
        report.budget_stop = (
            f"budget of ${self.budget.limit:.2f} reached (${self._spent:.2f} spent); "
            "the remaining files are left pending: raise budget_usd in the settings"
        )
        return False

    def _spend(
        self,
        pieces: Sequence[Piece],
        results: Sequence[np.ndarray | EmbedError],
        report: IndexReport,
    ) -> None:
        """Add what the pieces that got a vector cost to the index's spending."""
        done = [p for p, r in zip(pieces, results, strict=True) if not isinstance(r, EmbedError)]
        cost = self._price(done)
        if cost > 0:
            self._spent += cost
            report.spent_usd += cost
            self.store.update_state(spent_usd=round(self._spent, 6))

    def _record_usage(self) -> None:
        """Add the tokens the provider reported since last time to the index's total."""
        used = int(self.embedder.usage_tokens or 0) if isinstance(self.embedder, CountsUsage) else 0
        new = used - self._usage_seen
        if new > 0:
            total = int(self.store.read_state().get("usage_tokens", 0))
            self.store.update_state(usage_tokens=total + new)
            self._usage_seen = used

    _usage_seen = 0

    def _embed_pieces(self, pieces: list[Piece]) -> list[np.ndarray | EmbedError]:
        """One vector or one error per piece, whatever the provider offers."""
        if not pieces:
            return []
        if isinstance(self.embedder, EmbedsEach):
            return list(self.embedder.embed_each(pieces))
        try:
            return list(self.embedder.embed_documents(pieces))
        except EmbedError as exc:
            if exc.fatal or len(pieces) == 1:
                return [exc] * len(pieces)
        # Find the culprit one piece at a time; the others still get their vectors.
        out: list[np.ndarray | EmbedError] = []
        for p in pieces:
            out.extend(self._embed_pieces([p]))
        return out
