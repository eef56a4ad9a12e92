"""One relevance score: the vector cosine, raised by a bounded bonus for strong keyword evidence.

Why not rank fusion: fusing ranks ignores how good a match is, so a piece at rank 50 in both
lists beat a clear vector first, and stray tokens (the elided "l'" of a French query) pulled
unrelated pieces up. Here the cosine decides, and words only add up to ``bonus_max`` when the
piece holds most of the query's rare words or is, holding at least half its weight, the
query's strongest BM25 match — never enough to lift a weak match over a clearly stronger one.
The score that orders results is the score shown.

Rarity comes from the keyword index itself: each query term is looked up on its own, so its
document frequency is known exactly for rare terms (the ones that matter) and which pieces hold
it falls out of the same lookups. A query word that occurs nowhere counts against coverage:
"knitting pattern for a wool scarf" does not match through "pattern" alone.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

# Words too common to be evidence, per language (only words of 3+ letters: shorter ones are
# dropped anyway). English, German, French, Spanish, Portuguese, Italian, Dutch.
STOP = frozenset(
    """
    about above after again all also and any are because been before being below between both
    but can could did does doing down during each few for from further had has have having her
    here hers herself him himself his how into its itself just let like more most much must
    not now off once only other our ours out over own same she should some such than that the
    their theirs them then there these they this those through too under until very was were
    what when where which while who whom why will with would you your yours yourself really
    get got make made thing things time want need use using way one two way
    aber alle als also auch auf aus bei bin bis bist das dass dem den der des die dies diese
    dieser dir doch dort durch ein eine einem einen einer eines für hab habe hat hatte hier
    ich ihr ihre im ist mich mir mit nach nicht noch nur oder sein seine sich sie sind so
    über um und uns unser von vor war waren was weil wenn wer wie wir wird wo zu zum zur
    ich konnte kann können wie was wo wann warum
    les des une aux avec dans par pour sur est sont pas plus que qui quoi comment combien
    elle elles ils nous vous mon mes ton tes son ses leur leurs cette ces cet était être
    avoir fait faire
    los las del una unos unas con por para sin sobre que qué cómo cuánto cuándo donde dónde
    esta este esto estos estas era son ser fue hay muy más pero como mis sus tus
    não uma com para por que como mais foi são
    che non una per con del della gli come più
    het een van met voor niet zijn ook maar als
    """.split()
)
WORD = re.compile(r"\w+")


def query_terms(text: str) -> list[str]:
    """The words of ``text`` that can be keyword evidence, in order, without repeats.

    Tokens of one or two characters go (the elided ``l'``/``d'`` of French, ``s`` of
    English possessives), and so do stop words of the common European languages.
    """
    out: list[str] = []
    for word in WORD.findall(text.lower()):
        if len(word) > 2 and word not in STOP and not word.isdigit() and word not in out:
            out.append(word)
    return out


def variants(term: str) -> list[str]:
    """The term and a light stem of it, so "repairs" finds "repair" (and the reverse)."""
    forms = [term]
    for suffix in ("ies", "es", "s", "ing", "ed"):
        if term.endswith(suffix) and len(term) - len(suffix) >= 4:
            forms.append(term[: -len(suffix)] + ("y" if suffix == "ies" else ""))
            break
    else:
        forms.append(term + "s")
    return forms


@dataclass(frozen=True)
class Weights:
    """The tunable part of the rule; chosen on the labelled sets in ``tests/quality``."""

    bonus_max: float = 0.20  # the most keywords can add to a cosine, both parts together
    coverage_max: float = 0.15  # the most the coverage part adds…
    coverage_start: float = 0.3  # …from 0 at this share of the query's weight
    strength_max: float = 0.08  # the most the strength part (BM25 near the query's best) adds…
    strength_coverage: float = 0.5  # …to a piece holding at least this share of the weight
    strength_power: float = 3.0  # how fast it falls off below the query's best BM25
    rare_fraction: float = 0.02  # a term in at most this share of pieces is rare…
    rare_min: int = 3  # …or in at most this many pieces, whichever is more
    keyword_pass: float = 0.75  # coverage a below-floor piece needs to pass on keywords


WEIGHTS = Weights()


@dataclass
class Evidence:
    """What the keyword index says about one query: per term, which pieces hold it."""

    terms: list[str]
    idf: dict[str, float]
    rare: set[str]
    holders: dict[str, set[int]] = field(default_factory=dict)  # term -> rows
    bm25: dict[int, float] = field(default_factory=dict)  # row -> BM25 summed over the terms
    best_bm25: float = 0.0  # the highest of those: the query's strongest keyword match

    def coverage(self, row: int) -> float:
        """Share of the query's idf weight this piece holds (0..1)."""
        total = sum(self.idf.values())
        if not total:
            return 0.0
        return sum(w for t, w in self.idf.items() if row in self.holders.get(t, ())) / total

    def rare_matched(self, row: int) -> int:
        return sum(1 for t in self.rare if row in self.holders.get(t, ()))

    def rows(self) -> set[int]:
        return set().union(*self.holders.values()) if self.holders else set()

    def strong(self, row: int, w: Weights | None = None) -> bool:
        """Keyword evidence enough to show a piece its vector alone would not: several rare
        terms (or the one rare term of a one-word query) and most of the query's weight."""
        w = w or WEIGHTS
        needed = 1 if len(self.terms) == 1 else 2
        return self.rare_matched(row) >= needed and self.coverage(row) >= w.keyword_pass


def gather(
    terms: Sequence[str],
    lookup: Callable[[str, int], list[tuple[int, float]]],
    pieces: int,
    depth: int,
    w: Weights | None = None,
) -> Evidence:
    """Look each term up on its own (``lookup(fts_query, limit) -> [(row, bm25)]``) to learn
    its document frequency and its holders. A term whose lookup fills ``depth`` is common: its
    true frequency is at least that, and it weighs little anyway. BM25 adds up over the terms
    of a query, so the per-term scores summed are the query's BM25 (a common term's tail past
    ``depth`` left out)."""
    w = w or WEIGHTS
    idf: dict[str, float] = {}
    rare: set[str] = set()
    holders: dict[str, set[int]] = {}
    bm25: dict[int, float] = {}
    rare_limit = max(w.rare_min, int(pieces * w.rare_fraction))
    for term in terms:
        found = lookup(" ".join(variants(term)), depth)
        rows = [row for row, _ in found]
        df = len(rows) if len(rows) < depth else max(depth, pieces // 10)
        idf[term] = math.log(1.0 + (pieces + 1) / (df + 0.5))
        for row, score in found:
            bm25[row] = bm25.get(row, 0.0) + score
        if rows:
            holders[term] = set(rows)
            if df <= rare_limit:
                rare.add(term)
    return Evidence(list(terms), idf, rare, holders, bm25, max(bm25.values(), default=0.0))


def bonus(evidence: Evidence, row: int, w: Weights | None = None) -> float:
    """What keywords add to this piece's cosine: 0 … ``bonus_max``, in two parts.

    - coverage: up to ``coverage_max`` for holding most of the query's weight, and only
      for a piece that holds one of its rare words (common words alone never move a result);
    - strength: up to ``strength_max`` for a piece that holds at least half the query's
      weight and whose BM25 is at or near the best of this query (``(bm25 / best) ** 3``:
      the single strongest keyword match gets it all, the tenth hardly any).
    """
    w = w or WEIGHTS
    c = evidence.coverage(row)
    out = 0.0
    if evidence.rare_matched(row) and c > w.coverage_start:
        out += w.coverage_max * (c - w.coverage_start) / (1.0 - w.coverage_start)
    if c >= w.strength_coverage and evidence.best_bm25 > 0:
        share = evidence.bm25.get(row, 0.0) / evidence.best_bm25
        out += w.strength_max * share**w.strength_power
    return min(out, w.bonus_max)


STEM = 5  # a word "starts like" a query term when it begins with the term's first 5 letters


def term_pattern(terms: Sequence[str]) -> re.Pattern[str] | None:
    """Whole words that start like one of ``terms``: what a snippet shows in bold (the CLI
    and the window alike), longest stem first; None when there is nothing to mark."""
    stems = sorted({t[:STEM].lower() for t in terms if t}, key=len, reverse=True)
    if not stems:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(s) for s in stems) + r")\w*", re.IGNORECASE)
