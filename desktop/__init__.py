"""Loci's desktop app (PySide6): the only package that imports Qt.

``desktop.app.main()`` opens the window; ``desktop.worker.Bridge`` is the one path between
the GUI thread and the engine in ``core``.
"""
