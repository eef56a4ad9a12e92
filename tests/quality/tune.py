"""Grid search of the ranking weights and a sweep of the floor on the TUNING sets only
(personal notes, the five languages, photos, the tuning half of pydoc): never the held-out half.

``python -m tests.quality.tune``
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import os
import tempfile
from pathlib import Path

from core import relevance
from core.embed.base import Query
from tests.quality import corpora, queries
from tests.quality.__main__ import CACHE
from tests.quality.harness import CachedEmbedder, evaluate, open_engine


def main() -> None:
    embedder = CachedEmbedder(CACHE)
    with tempfile.TemporaryDirectory(prefix="loci-tune-") as tmp:
        os.environ["LOCI_CONFIG_DIR"] = str(Path(tmp) / "config")
        personal = Path(tmp) / "personal"
        corpora.build_personal(personal)
        pe = open_engine(personal, Path(tmp) / "d1", embedder)
        pyroot = Path(tmp) / "pydoc"
        owners = corpora.build_pydoc(pyroot, 300, 300, CACHE)
        py = open_engine(pyroot, Path(tmp) / "d2", embedder)
        sets = [
            (pe, personal, queries.PERSONAL, None),
            (pe, personal, queries.MULTILINGUAL, None),
            (pe, personal, queries.PHOTOS, None),
            (py, pyroot, queries.PYDOC_TUNE, owners),
        ]
        grid = itertools.product([0.1, 0.15, 0.2], [0.0, 0.05, 0.08, 0.12], [0.3, 0.5, 0.7])
        for coverage_max, strength_max, strength_coverage in grid:
            relevance.WEIGHTS = dataclasses.replace(
                relevance.WEIGHTS,
                coverage_max=coverage_max,
                strength_max=strength_max,
                strength_coverage=strength_coverage,
            )
            cells = []
            for engine, root, qs, own in sets:
                s = evaluate(engine, root, qs, (), own, modes=("combined",))["combined"]
                cells.append(f"{s.hit(1):.2f}/{s.hit(5):.2f}/{s.mrr():.2f}")
            head = f"coverage {coverage_max:.2f} strength {strength_max:.2f}"
            head += f" from {strength_coverage:.1f}"
            print(f"{head}: " + "  ".join(cells), flush=True)
        relevance.WEIGHTS = relevance.Weights()
        # Floor: the best score shown (cosine plus keyword bonus) of answerable vs unanswerable
        # queries; the floor judges that score.
        for engine, ans, unans in (
            (pe, queries.PERSONAL + queries.MULTILINGUAL, queries.UNANSWERABLE),
            (py, queries.PYDOC_TUNE, queries.PYDOC_UNANSWERABLE),
        ):
            s = engine.searcher()

            def top(text: str, s=s) -> float:
                q = s.embedder.embed_query(Query(text=text))
                hits = s.search_vector(q, keywords=text, limit=1, floor=-math.inf)
                return hits[0].score if hits else 0.0

            a = sorted(top(t) for t, _ in ans)
            u = sorted(top(t) for t, _ in unans)
            print("answerable best scores:", [round(x, 3) for x in a[:12]], "…")
            print("unanswerable best scores:", [round(x, 3) for x in u])
            for floor in (0.15, 0.18, 0.2, 0.22, 0.225, 0.23, 0.25, 0.28, 0.3):
                fm = sum(x >= floor for x in u)
                fn = sum(x < floor for x in a)
                print(
                    f"  floor {floor:.3f}: false match {fm}/{len(u)}, false no-match {fn}/{len(a)}"
                )


if __name__ == "__main__":
    main()
