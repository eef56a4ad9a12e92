"""An engine exception in the words the window shows (a full disk, a damaged index, ...)."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class TaskError(Exception):
    """A worker's exception put into words on the worker (the wording may import core)."""


def described(func: Callable[[], T]) -> Callable[[], T]:
    """``func``, with any exception it raises turned into a ``TaskError`` with its message."""

    def run() -> T:
        try:
            return func()
        except Exception as exc:
            raise TaskError(error_message(exc)) from exc

    return run


def error_message(exc: BaseException) -> str:
    """One sentence for the status line or the results area."""
    from core.store import DISK_FULL, damaged_message, is_disk_full, is_storage_error

    if is_disk_full(exc):
        return DISK_FULL[0].upper() + DISK_FULL[1:]
    if is_storage_error(exc):  # a read failed below the checks made at open
        from core.config import data_dir

        return damaged_message(data_dir() / "index", exc)
    text = str(exc).strip()
    if not text:
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return text
