"""Engine selection: the compiled build of :mod:`partialjson.build` when it is installed.

The build hook (``setup.py``) compiles ``build.py`` with mypyc into an extension module of the
same name, which Python's import system prefers to the ``.py`` beside it. The source is the
always-available fallback and the reference; both pass the same test suite.

``PARTIALJSON_ENGINE`` chooses explicitly: ``python`` loads the source even when the extension is
installed, ``compiled`` makes a missing extension an ImportError, ``auto`` (the default) takes the
extension when it imports and the source otherwise.

An extension older than the ``build.py`` beside it (edited since the last install) is stale: it
is still used, with a warning, and ``STALE`` says so (the test suite refuses to run on it).
Reinstalling (``pip install -e .``, or any ``dev.py`` command) recompiles.
"""

from __future__ import annotations

import os
import sys
import warnings
from importlib.machinery import SourceFileLoader
from importlib.util import module_from_spec, spec_from_file_location
from types import ModuleType

NAME = "partialjson.build"


def _source() -> ModuleType:
    path = os.path.join(os.path.dirname(__file__), "build.py")
    loader = SourceFileLoader(NAME, path)
    spec = spec_from_file_location(NAME, path, loader=loader)
    assert spec is not None
    module = module_from_spec(spec)
    sys.modules[NAME] = module
    try:
        loader.exec_module(module)
    except BaseException:
        del sys.modules[NAME]
        raise
    vars(sys.modules[__package__])["build"] = module  # as an import would
    return module


def _select() -> ModuleType:
    choice = os.environ.get("PARTIALJSON_ENGINE", "auto")
    if choice not in ("auto", "python", "compiled"):
        raise ImportError(f"PARTIALJSON_ENGINE must be auto, python or compiled, not {choice!r}")
    if choice == "python":
        return _source()
    try:
        from . import build
    except ImportError:  # an extension that cannot load (a partial or foreign build)
        if choice == "compiled":
            raise
        return _source()
    if choice == "compiled" and build.__file__ is not None and build.__file__.endswith(".py"):
        raise ImportError(
            "PARTIALJSON_ENGINE=compiled, but the compiled engine is not installed "
            "(reinstall with mypyc and a C compiler available; see setup.py)"
        )
    return build


def _stale(module: ModuleType) -> bool:
    """Whether the compiled ``module`` is older than its source (by more than an install's
    unpacking can explain)."""
    source = os.path.join(os.path.dirname(__file__), "build.py")
    try:
        return os.path.getmtime(source) > os.path.getmtime(module.__file__ or source) + 2
    except OSError:
        return False


_module = _select()
#: Which engine this process runs: "compiled" (mypyc) or "python".
ENGINE = "python" if (_module.__file__ or "").endswith(".py") else "compiled"
#: The compiled engine is older than build.py: reinstall to recompile it.
STALE = ENGINE == "compiled" and _stale(_module)
if STALE:
    warnings.warn(
        "partialjson: the compiled engine is older than build.py; reinstall to recompile it "
        "(or set PARTIALJSON_ENGINE=python)",
        RuntimeWarning,
        stacklevel=2,
    )
