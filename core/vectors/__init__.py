"""The vector index: every piece vector, ranked by dot product, kept in step with the store.

Two segments answer every query together:

- the *main* segment, built once when the index opens (and again by a background merge):
  small ones keep their float32 matrix in memory and are scanned exactly; big ones keep only
  an int8 copy in memory (per-dimension scales, a quarter of the float bytes) and their
  float32 rows in a scratch file beside the index, read back only for the few hundred best
  candidates;
- the *delta* segment: the rows written since, as exact float32, small by construction.

Deletes and edits never touch the main matrix: an edited or deleted file's main rows are
masked out, its new rows go to the delta. When the delta (or the mask) grows past a share of
the main segment, a background thread folds them into a new main segment and swaps it in.

Scores are exact. The int8 scan only chooses candidates; each candidate is rescored with
its float32 row, and the candidate set grows until the rounding-error bound of the int8
copy proves that no row left out could beat the k-th score (above ``GUARANTEE_CELLS`` cells,
rows × dims, memory holds binary codes instead of int8 ones, and the nearest codes by Hamming
distance are rescored — recall is then measured, see the README's Scale section).

One job a module: ``tuning`` (the thresholds), ``segment`` (Segment, Snapshot: rows and one
consistent view of them), ``rank`` (the exact and the int8 + rescore scans, the binary first
stage), ``build`` (a main segment from chunks, quantized), ``disk`` (float32 rows read back
from the scratch file), ``index`` (VectorIndex: the segments kept in step with the store).
"""

from core.vectors.disk import DiskRows
from core.vectors.index import VectorIndex
from core.vectors.rank import rank_segment
from core.vectors.segment import RowOf, Segment, Snapshot

__all__ = ["DiskRows", "RowOf", "Segment", "Snapshot", "VectorIndex", "rank_segment"]
