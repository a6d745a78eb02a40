"""atheris harness: JSONLParser(on_error="skip"): every good line delivered, every bad one reported.

    python fuzz/fuzz_jsonl.py [libFuzzer options] [corpus dirs]   (see fuzz/README.md)
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

with atheris.instrument_imports():
    import partialjson  # noqa: F401  (instrumented for coverage)
    from fuzz.oracle import check_jsonl


def main() -> None:
    atheris.Setup(sys.argv, check_jsonl)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
