from __future__ import annotations

import pytest

import midstream
from tests.corpus import CORPUS


def pytest_report_header() -> list[str]:
    return [
        f"shared corpus: {CORPUS} ({'found' if CORPUS.is_dir() else 'MISSING'})",
        f"midstream engine: {midstream.ENGINE}",
    ]


def pytest_sessionstart(session: pytest.Session) -> None:
    from midstream import engine as _engine

    if _engine.STALE:  # it would test old code: _cengine.c was edited after the last install
        pytest.exit("the compiled engine is older than _cengine.c: reinstall (python3 dev.py test)", 2)


@pytest.fixture(scope="session", autouse=True)
def _corpus_present() -> None:
    # The corpus is part of the test input: its absence is a failure, never a skip.
    assert CORPUS.is_dir(), f"shared corpus not found at {CORPUS}"
