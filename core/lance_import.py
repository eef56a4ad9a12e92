"""Import LanceDB without paying up front for what a local folder never uses.

``import lancedb`` (0.40) imports ``lance_namespace``, which imports the model classes of
``lance_namespace_urllib3_client``; that package's ``__init__`` also imports its nine
generated API modules, wrapping 366 methods in pydantic validators. That is about half of
LanceDB's import time, spent even for a local folder, which never talks REST. Here the
package's module object is registered before LanceDB asks for it, without running its
``__init__``: its submodules (the models LanceDB imports, or any API module imported by
name) load from the real folder as usual, and the first attribute read on the package
itself runs the real ``__init__`` in place (PEP 562 ``__getattr__``), so nothing that uses
the REST client sees a difference.

On Python < 3.12 LanceDB decorates its ~100 connection methods with the ``overrides``
package's ``@override``, which disassembles the caller's frame to find the base classes and
compares signatures - a development-time check costing ~0.2 s per import. On Python 3.12+
LanceDB uses ``typing.override`` instead, which only marks the method; for the length of
the import the same marker stands in (``EnforceOverrides`` still checks every class as it
is built), and the package's own ``override`` is put back right after. No installed file is
changed.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType
from typing import Any

from core import malloc

REST_CLIENT = "lance_namespace_urllib3_client"


def _defer_package(name: str) -> None:
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return  # not installed or not a package: let the normal import decide
    module = importlib.util.module_from_spec(spec)
    loader = spec.loader

    def load_on_first_use(attr: str) -> Any:
        # Runs once: the real __init__ defines every public name, so later reads never
        # reach here. A dunder probe (e.g. __wrapped__ from inspect) must not load it.
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        del module.__getattr__
        loader.exec_module(module)
        return getattr(module, attr)

    module.__getattr__ = load_on_first_use  # type: ignore[method-assign]
    sys.modules[name] = module


def _mark_override(method: Any = None, **_checks: Any) -> Any:
    """``typing.override`` of Python 3.12, with the ``overrides`` package's call forms."""

    def mark(m: Any) -> Any:
        m.__override__ = True
        return m

    return mark(method) if method is not None else mark


def import_lancedb() -> ModuleType:
    """The ``lancedb`` module, its REST client's package body deferred to first use."""
    if "lancedb" in sys.modules:
        return sys.modules["lancedb"]
    malloc.limit_arenas()  # before LanceDB starts its reader threads
    _defer_package(REST_CLIENT)
    checker: Any = None
    if sys.version_info < (3, 12):
        try:
            import overrides as checker
        except ImportError:
            checker = None
    real = checker.override if checker is not None else None
    if checker is not None:
        checker.override = _mark_override
    try:
        import lancedb
    finally:
        if checker is not None:
            checker.override = real
    return lancedb
