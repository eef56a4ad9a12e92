"""The vector index's tunables, in one place (read at call time, so a test can patch them here)."""

import os

# Below this many float cells (16 MB of float32) the main segment stays float32 in memory:
# the exact scan is the fastest path there and the saving would not matter.
COMPACT_CELLS = 4_000_000
# Bytes of float32 per block of the int8 scan: one block's copy stays in the CPU cache.
BLOCK_BYTES = 6 << 20
# Threads of the int8 scan (the cores the numpy baseline uses too).
SCAN_THREADS = min(2, os.cpu_count() or 1)
# Candidates rescored with float32 before the error bound is checked.
RESCORE = 256
# Up to this many main cells (rows × dims: 200,000 pieces at 768 dims, 50,000 at 3072) the
# main segment keeps int8 codes and the result is proven exact. Above, memory keeps only
# binary codes (1 bit a dimension): a Hamming scan picks BINARY_POOL rows and those are
# rescored with their float32 rows from the scratch file (recall measured, not proven).
GUARANTEE_CELLS = 200_000 * 768
BINARY_POOL = 2000


def proven(rows: int, dims: int) -> bool:
    """Whether a main segment this size is ranked with the exactness proof (no first stage)."""
    return rows * dims <= GUARANTEE_CELLS


# Merge the delta into the main segment past this share of the main rows (or DELTA_MIN rows).
MERGE_SHARE = 0.05
# Rows per block when a segment is read or rebuilt: 48 MB of float32 at 768 dims.
CHUNK_ROWS = 16_384
DELTA_MIN = 4096

# A binary main segment is kept beside the index (core/vectors/cache.py) and loaded at the next
# open, unless more files changed since than this (a rebuild is then about as quick).
KEEP_SEGMENT = True
KEPT_STALE_FILES = 2000
KEPT_STALE_SHARE = 0.2
