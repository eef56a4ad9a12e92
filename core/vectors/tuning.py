"""The vector index's tunables, in one place (read at call time, so a test can patch them here)."""

# Below this many float cells (16 MB of float32) the main segment stays float32 in memory:
# the exact scan is the fastest path there and the saving would not matter.
COMPACT_CELLS = 4_000_000
# Bytes of float32 per block of the int8 scan: one block's copy stays in the CPU cache.
BLOCK_BYTES = 6 << 20
# Candidates rescored with float32 before the error bound is checked.
RESCORE = 256
# Up to this many main cells (rows × dims: 200,000 pieces at 768 dims, 50,000 at 3072) the
# result is proven exact; above, rescoring stops at MAX_RESCORE and a binary first stage
# comes before the int8 scan (the int8 scan is linear in rows × dims).
GUARANTEE_CELLS = 200_000 * 768
MAX_RESCORE = 4096
# Past GUARANTEE_CELLS a Hamming scan of binary codes picks this many rows for the int8 scan.
BINARY_POOL = 10_000


def proven(rows: int, dims: int) -> bool:
    """Whether a main segment this size is ranked with the exactness proof (no first stage)."""
    return rows * dims <= GUARANTEE_CELLS


# Merge the delta into the main segment past this share of the main rows (or DELTA_MIN rows).
MERGE_SHARE = 0.05
# Rows per block when a segment is read or rebuilt: 48 MB of float32 at 768 dims.
CHUNK_ROWS = 16_384
DELTA_MIN = 4096
