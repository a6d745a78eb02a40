"""Build hook: compiles the parser's engine in C (``src/midstream/engine/_cengine.c``).

The compiled engine is an accelerator, never a requirement: ``build.py`` holds the same engine in
pure Python, the reference and the fallback used whenever the extension is missing (see
``midstream/engine/__init__.py``). So the hook never fails an install: set ``MIDSTREAM_PURE_PYTHON=1``
to skip it, and a machine without a C compiler gets the pure-Python engine with a warning.

Everything else about the package is declared in ``pyproject.toml``.
"""

from __future__ import annotations

import os
import sys

from setuptools import Extension, setup

ENGINE = Extension(
    "midstream.engine._cengine",
    sources=["src/midstream/engine/_cengine.c"],
    optional=True,  # a compiler error leaves the pure-Python engine, not a failed install
)


def extensions() -> list[Extension]:
    if os.environ.get("MIDSTREAM_PURE_PYTHON") or sys.implementation.name != "cpython":
        return []
    return [ENGINE]


setup(ext_modules=extensions())
