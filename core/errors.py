"""Errors shared across layers, kept in this leaf module (it imports nothing of Loci's) so
that any module can raise or catch them with a top-level import.

Every error of Loci's own derives from ``LociError``: its message is one line for the user,
and ``loci`` prints it as ``loci: <message>`` with exit code 1 (``core.cli.error_line``).
"""

from __future__ import annotations


class LociError(Exception):
    """An error whose message is for the user, one line; the base of Loci's own errors."""


class CliError(LociError):
    """A one-line error for the user; exit code 1."""


class ExtractError(LociError):
    """The file could not be read or parsed; the message is shown to the user.

    ``retry``: the cause is outside the file's content (permissions), so a later run
    tries again even if the file's stat has not changed.
    """

    def __init__(self, message: str, *, retry: bool = False) -> None:
        super().__init__(message)
        self.retry = retry


class NothingToSearch(LociError):
    """The query has no content to rank by (no words, an empty file): the user's to fix."""


class IndexError_(LociError):
    """The index cannot be used as it is; the message says what to do."""
