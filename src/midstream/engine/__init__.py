"""Engine selection: the C engine when it is installed, else the pure-Python one.

:mod:`midstream.engine.build` holds the engine in pure Python: the reference and the always-available
fallback. The build hook (``setup.py``) compiles ``_cengine.c``, the same state machine in C, into
``midstream.engine._cengine`` when a C compiler is there. Selecting it binds the C engine to the Python
module's sentinels and cold-path helpers (error messages, the UTF-8 decoder for cut sequences) and
makes it ``build.engine``, which the parsers use; ``build.python_engine`` stays the Python one.
Both pass the same test suite, and a differential test holds them to the same values, events and
errors.

``MIDSTREAM_ENGINE`` chooses explicitly: ``python`` keeps the Python engine even when the
extension is installed, ``compiled`` makes a missing extension an ImportError, ``auto`` (the
default) takes the extension when it imports and the Python engine otherwise.

An extension older than the ``_cengine.c`` beside it (edited since the last install) is stale: it
is still used, with a warning, and ``STALE`` says so (the test suite refuses to run on it).
Reinstalling (``pip install -e .``, or any ``dev.py`` command) recompiles.
"""

from __future__ import annotations

import os
import warnings
from types import ModuleType

from . import build

SOURCE = os.path.join(os.path.dirname(__file__), "_cengine.c")


def _select() -> ModuleType | None:
    """The C engine module to use, or None for the Python engine."""
    choice = os.environ.get("MIDSTREAM_ENGINE", "auto")
    if choice not in ("auto", "python", "compiled"):
        raise ImportError(f"MIDSTREAM_ENGINE must be auto, python or compiled, not {choice!r}")
    if choice == "python":
        return None
    try:
        from . import _cengine  # type: ignore[attr-defined]
    except ImportError:  # not built (no compiler, or MIDSTREAM_PURE_PYTHON at install)
        if choice == "compiled":
            raise ImportError(
                "MIDSTREAM_ENGINE=compiled, but the compiled engine is not installed "
                "(reinstall with a C compiler available; see setup.py)"
            ) from None
        return None
    module: ModuleType = _cengine
    return module


def _stale(module: ModuleType) -> bool:
    """Whether the compiled ``module`` is older than its source (by more than an install's
    unpacking can explain)."""
    try:
        return os.path.getmtime(SOURCE) > os.path.getmtime(module.__file__ or SOURCE) + 2
    except OSError:
        return False


#: The compiled module (its ``engine`` and ``maybe_big_int``), or None: the Python ones run.
compiled = _select()
if compiled is not None:  # build.engine, the one the parsers use, becomes the compiled engine
    compiled.bind(build)
    build.engine = compiled.engine
#: Which engine this process runs: "compiled" (C) or "python".
ENGINE = "python" if compiled is None else "compiled"
#: The compiled engine is older than _cengine.c: reinstall to recompile it.
STALE = compiled is not None and _stale(compiled)
if STALE:
    warnings.warn(
        "midstream: the compiled engine is older than _cengine.c; reinstall to recompile it "
        "(or set MIDSTREAM_ENGINE=python)",
        RuntimeWarning,
        stacklevel=2,
    )
