from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

import midstream
from midstream import engine as _engine
from support.corpus import DATA, missing_data

#: Every test runs once per engine that can run here (as ijson runs its tests per backend):
#: the ``engine`` fixture below makes it the default engine (and sets ``MIDSTREAM_ENGINE`` for
#: the subprocesses a test starts).
#: ``MIDSTREAM_TEST_ENGINES=python`` (or ``compiled``) narrows the run to one engine.
ENGINES = [
    e
    for e in _engine.available()
    if e in os.environ.get("MIDSTREAM_TEST_ENGINES", "compiled,python").split(",")
]


def pytest_report_header() -> list[str]:
    return [
        f"test data: {DATA} ({'complete' if not missing_data() else 'INCOMPLETE'})",
        f"midstream engines under test: {', '.join(ENGINES)} (available: {', '.join(_engine.available())})",
    ]


def pytest_sessionstart(session: pytest.Session) -> None:
    if _engine.stale():  # it would test old code: _cengine.c was edited after the last install
        pytest.exit("the compiled engine is older than _cengine.c: reinstall (python3 dev.py test)", 2)
    if os.environ.get("CI") and _engine.compiled() is None:
        pytest.exit("CI: the compiled engine is not built (see setup.py)", 2)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test marked ``engines_compared`` runs both engines itself: it runs once, under the
    first engine, its other runs deselected (its outcome cannot depend on the default)."""
    extra = [
        item
        for item in items
        if item.get_closest_marker("engines_compared") is not None
        and getattr(item, "callspec", None) is not None
        and item.callspec.params.get("engine", ENGINES[0]) != ENGINES[0]
    ]
    if extra:
        config.hook.pytest_deselected(items=extra)
        drop = set(map(id, extra))
        items[:] = [item for item in items if id(item) not in drop]


@pytest.fixture(params=ENGINES, autouse=True)
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The engine this run of the test uses (every parser made in the test gets it)."""
    monkeypatch.setenv("MIDSTREAM_ENGINE", request.param)  # (for the subprocesses a test starts)
    _engine.set_default(request.param)
    assert request.param == midstream.ENGINE
    yield request.param
    _engine.set_default(None)


@pytest.fixture(scope="session", autouse=True)
def _data_present() -> None:
    # The data is part of the test input: a missing file is a failure, never a skip.
    problems = missing_data()
    assert not problems, "tests/data is incomplete: " + "; ".join(problems)
