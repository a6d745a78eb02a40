"""Build hook: compiles the parser's engine (``src/partialjson/build.py``) with mypyc.

The compiled engine is an accelerator, never a requirement: the same ``build.py`` is installed
beside it and is used whenever the extension is missing (see ``partialjson/_engine.py``). So the
hook never fails an install: set ``PARTIALJSON_PURE_PYTHON=1`` to skip it, and a machine where
mypyc or the C compiler is unavailable gets the pure-Python engine with a warning.

Everything else about the package is declared in ``pyproject.toml``.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from setuptools import setup

#: The modules compiled: the engine's hot loop. The layers around it (decoding, token patterns,
#: errors, the parser classes) stay Python; the engine calls them rarely or not per character.
COMPILED = ["src/partialjson/build.py"]


def compiled_engine() -> list[Any]:
    if os.environ.get("PARTIALJSON_PURE_PYTHON") or sys.implementation.name != "cpython":
        return []
    try:
        from mypyc.build import mypycify

        # The project's mypy settings are for checking the whole package (and need its
        # dependencies); compiling needs only the engine and the modules it imports.
        args = ["--config-file=", "--follow-imports=silent", "--ignore-missing-imports"]
        extensions = mypycify([*args, *COMPILED], opt_level="3", debug_level="0")
    except (Exception, SystemExit) as e:  # no mypyc, or it cannot compile on this Python
        print(f"partialjson: engine not compiled ({e!r}); using pure Python", file=sys.stderr)
        return []
    for ext in extensions:
        ext.optional = True  # a compiler error leaves the pure-Python engine, not a failed install
    return extensions


setup(ext_modules=compiled_engine())
