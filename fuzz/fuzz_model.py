"""atheris harness: ModelParser against ``validate_json``, on a small nested model and on the zoo.

    python fuzz/fuzz_model.py [libFuzzer options] [corpus dirs]   (see fuzz/README.md)

Each input goes through ``oracle.check_model`` (the small nested model ``Doc``) and through
``tests/model_oracle.check_document`` for one type of the model zoo (``tests/model_zoo.py``,
chosen by the input's CRC): pydantic's value or errors at ``close()``, failures during ``feed``
only where pydantic rejects the document (and always by the feed that completes it), early
errors among pydantic's, ``partial`` never raising, reported parts equal to the result's.
"""

from __future__ import annotations

import sys
import zlib
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

with atheris.instrument_imports():
    import midstream  # noqa: F401  (instrumented for coverage)
    from support import oracle

from tests.model_oracle import check_document
from tests.model_zoo import CASES


def check(data: bytes) -> None:
    oracle.check_model(data)
    seed = zlib.crc32(data)
    case = CASES[seed % len(CASES)]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        check_document(case.tp, oracle.pieces(data, seed))
        return
    check_document(case.tp, oracle.pieces(text, seed))


if __name__ == "__main__":
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()
