"""The engine: decoding, the resumable state machine, the live partial value.

Two implementations of one state machine, chosen per parser (``Parser(engine=...)``):

* ``"python"`` -- :func:`midstream.engine.build.python_engine`, plain typed Python: the reference,
  always available;
* ``"compiled"`` -- ``_cengine.c``, the same machine in C, branch for branch, built by the install
  when a C compiler is there (``setup.py``); it takes its rare paths (error messages, the UTF-8
  decoder for cut sequences) from :mod:`~midstream.engine.build`.

``"auto"`` takes the compiled engine when it is installed and the Python one otherwise. The
default comes from ``MIDSTREAM_ENGINE`` (``auto`` when unset), read when the first parser without
``engine=`` is made (reading the environment costs more than making a parser);
:func:`set_default` changes it for the parsers made after it. ``"compiled"`` where the extension
is missing raises ``ImportError``.

Nothing here runs at import: the extension is imported (and bound to ``build``) the first time a
parser asks for it, and the check that it is not older than its source (:func:`stale`) runs
only when called (the test suite calls it).
"""

from __future__ import annotations

import os

from . import build

TYPE_CHECKING = False  # (typing is not imported at run time: see build.py)
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import ModuleType
    from typing import Any, Literal

    EngineName = Literal["auto", "python", "compiled"]

__all__ = ["ENGINES", "available", "compiled", "default", "get", "resolve", "set_default", "stale"]

ENGINES: tuple[str, ...] = ("auto", "python", "compiled")
SOURCE = os.path.join(os.path.dirname(__file__), "_cengine.c")

_module: ModuleType | None = None
_tried = False
_default: str | None = None  # the default engine's name as asked (None: read MIDSTREAM_ENGINE)


def compiled() -> ModuleType | None:
    """The compiled engine's module (imported and bound once), or None where it is not built."""
    global _module, _tried
    if not _tried:
        _tried = True
        try:
            from . import _cengine  # type: ignore[attr-defined]
        except ImportError:  # not built (no compiler, or MIDSTREAM_PURE_PYTHON at install)
            return None
        _cengine.bind(build)
        _module = _cengine
    return _module


def available() -> tuple[str, ...]:
    """The engines that can run here: ``("compiled", "python")`` or ``("python",)``."""
    return ("compiled", "python") if compiled() is not None else ("python",)


def set_default(name: str | None) -> None:
    """Make ``name`` the engine of parsers made without ``engine=`` from now on (``None``: read
    ``MIDSTREAM_ENGINE`` again at the next one)."""
    global _default
    if name is not None and name not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {name!r}")
    _default = name


def resolve(name: str | None = None) -> str:
    """The engine a parser asking for ``name`` gets: "compiled" or "python"."""
    if name is None:
        global _default
        name = _default
        if name is None:
            name = _default = os.environ.get("MIDSTREAM_ENGINE") or "auto"
    if name == "python":
        return "python"
    if name == "compiled":
        if compiled() is None:
            raise ImportError(
                "engine 'compiled' asked for, but the compiled engine is not installed "
                "(reinstall with a C compiler available; see setup.py)"
            )
        return "compiled"
    if name == "auto":
        return "compiled" if compiled() is not None else "python"
    raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {name!r}")


def get(name: str | None = None) -> tuple[str, Callable[..., Any]]:
    """``(resolved name, engine function)`` for ``name`` (None: ``MIDSTREAM_ENGINE``, else auto)."""
    which = resolve(name)
    if which == "python":
        return which, build.python_engine
    module = compiled()
    assert module is not None
    return which, module.engine


def default() -> str:
    """The engine a parser made now without ``engine=`` gets."""
    return resolve(None)


def stale() -> bool:
    """Whether the installed compiled engine is older than ``_cengine.c`` beside it (edited since
    the last install): reinstall (``pip install -e .``, or any ``dev.py`` command) to recompile."""
    module = compiled()
    if module is None:
        return False
    try:
        return os.path.getmtime(SOURCE) > os.path.getmtime(module.__file__ or SOURCE) + 2
    except OSError:
        return False
