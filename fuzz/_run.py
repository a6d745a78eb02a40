"""What every harness script does: instrument midstream for coverage, then fuzz one oracle."""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

with atheris.instrument_imports():
    import midstream  # noqa: F401  (instrumented for coverage)
    from support import oracle


def fuzz(check: str) -> None:
    """Run libFuzzer (options and corpus dirs from the command line) on ``oracle.<check>``."""
    atheris.Setup(sys.argv, getattr(oracle, check))
    atheris.Fuzz()
