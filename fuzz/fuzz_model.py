"""atheris harness: ModelParser on a small nested model, against Doc.model_validate_json.

    python fuzz/fuzz_model.py [libFuzzer options] [corpus dirs]   (see fuzz/README.md)
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

with atheris.instrument_imports():
    import partialjson  # noqa: F401  (instrumented for coverage)
    from fuzz.oracle import check_model


def main() -> None:
    atheris.Setup(sys.argv, check_model)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
