from __future__ import annotations

import pytest

import partialjson
from tests.corpus import CORPUS


def pytest_report_header() -> list[str]:
    return [
        f"shared corpus: {CORPUS} ({'found' if CORPUS.is_dir() else 'MISSING'})",
        f"partialjson engine: {partialjson.ENGINE}",
    ]


@pytest.fixture(scope="session", autouse=True)
def _corpus_present() -> None:
    # The corpus is part of the test input: its absence is a failure, never a skip.
    assert CORPUS.is_dir(), f"shared corpus not found at {CORPUS}"
