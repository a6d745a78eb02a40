"""atheris harness: Parser fed at data-derived split points, bytes and str.

    python fuzz/fuzz_parser.py [libFuzzer options] [corpus dirs]   (see fuzz/README.md)
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

with atheris.instrument_imports():
    import partialjson  # noqa: F401  (instrumented for coverage)
    from fuzz.oracle import check_parser


def main() -> None:
    atheris.Setup(sys.argv, check_parser)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
