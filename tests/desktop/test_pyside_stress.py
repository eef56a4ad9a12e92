"""PySide6 6.12.0 on Python 3.11 drops a reference to None on every void Qt call and aborts
with ``Fatal Python error: none_dealloc`` after some thousands of them (STACK_NOTES.md).
This test makes a PySide6 bump that brings the bug back fail instead of crashing users."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QLineEdit

CALLS = 200_000


def test_200k_void_calls_keep_none_alive(qtbot):
    edit = QLineEdit()
    qtbot.addWidget(edit)
    before = sys.getrefcount(None)
    for i in range(CALLS):
        edit.setText("x" if i & 1 else "y")  # returns None: the call that leaked it
    after = sys.getrefcount(None)
    assert edit.text() == "x"
    # A leak of one reference per call would show as ~200k; allow for unrelated noise.
    assert before - after < CALLS // 100, (before, after)
