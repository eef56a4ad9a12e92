"""What can be wrong with the index on disk, said in one line with what to do."""

from __future__ import annotations

import re
from pathlib import Path

from core.errors import IndexError_


class IndexMismatch(IndexError_):
    pass


class IndexDamaged(IndexError_):
    """The index's files are damaged (truncated, deleted, garbage): rebuild it."""


REPAIR_HINT = (
    "run `loci index --rebuild` (or Repair index in the app) to build a fresh one from your "
    "files, which are never changed"
)


def damaged_message(where: Path | str, exc: BaseException | str) -> str:
    """One line: where the damage is, the storage layer's reason in short, what to do."""
    detail = " ".join(str(exc).split())
    detail = re.sub(r"^(lance error: )?(LanceError\(\w+\): )?", "", detail)
    detail = re.split(r",? /rustc/|, [\w/.-]+\.rs:\d+", detail)[0][:120]
    return f"the index at {where} is damaged ({detail}): {REPAIR_HINT}"


DISK_FULL = (
    "the disk is full (no space left on device). What was indexed is kept and the rest is "
    "pending: free some space and run `loci index` again"
)


def is_disk_full(exc: BaseException) -> bool:
    """No space left on device, raised by Python or by LanceDB's own writer."""
    import errno

    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(exc)
    return "No space left on device" in text or "os error 28" in text


def is_storage_error(exc: BaseException) -> bool:
    """An error from LanceDB or Arrow reading the index's files (not a bug of Loci's)."""
    module = type(exc).__module__ or ""
    return module.startswith(("lance", "pyarrow")) or "lance error" in str(exc).lower()
