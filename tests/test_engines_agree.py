"""The C engine against the Python one, in one process: the same results, events and errors.

The suite runs once per engine, which checks each against json.loads and the partial-value
contract. This is the closer check: both engines are fed the same pieces side by side and must
return the same thing from every feed, hold the same partial value after it, report the same
``on_close`` events, and fail with the same error (class, message, offset, line, column,
excerpt, partial). Inputs: the JSONTestSuite files and mutated random documents, split anywhere,
as str and bytes, with every option and with small limits.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partialjson import build
from partialjson.errors import ParseError
from tests.corpus import TEST_PARSING, chunkings, random_splits
from tests.strategies import splits
from tests.test_bad_input import mutated

try:  # (directly: this runs whichever engine PARTIALJSON_ENGINE selected for the rest)
    from partialjson import _cengine  # type: ignore[attr-defined]
except ImportError:
    if os.environ.get("CI"):
        raise AssertionError("CI: the compiled engine must be built to compare it") from None
    pytest.skip("no compiled engine here (see setup.py)", allow_module_level=True)

_cengine.bind(build)
C_ENGINE: Callable[..., Any] = _cengine.engine
PY_ENGINE: Callable[..., Any] = build.python_engine


class Owner:
    """The engine's value holder, as Parser is (see build.ValueHolder)."""

    def __init__(self) -> None:
        self.value: Any = None

    def __getitem__(self, key: int) -> Any:
        return self.value

    def __setitem__(self, key: int, value: Any) -> None:
        self.value = value


def snapshot(value: Any) -> list[str]:
    """``value`` as a flat list of tokens (iterative: partial values may nest 1,000 deep)."""
    out: list[str] = []
    todo: list[Any] = [value]
    while todo:
        v = todo.pop()
        if isinstance(v, list):
            out.append(f"[{len(v)}")
            todo.extend(reversed(v))
        elif isinstance(v, dict):
            out.append(f"{{{len(v)}")
            for k, x in reversed(list(v.items())):
                todo.append(x)
                todo.append(k)
        else:
            out.append(f"{type(v).__name__}:{v!r}")
    return out


def run(make: Callable[..., Any], pieces: Sequence[Any], **options: Any) -> list[Any]:
    """Everything observable of one run: per feed, its result, the partial value and events."""
    owner = Owner()
    failed: list[Any] = []
    events: list[Any] = []

    def on_close(value: Any, parent: Any, key: Any) -> None:
        if value is build.KEY_DONE or value is build.STR_OPEN:
            what = "KEY_DONE" if value is build.KEY_DONE else "STR_OPEN"
        elif isinstance(value, (list, dict)):
            what = f"{type(value).__name__}:{len(value)}"
        else:
            what = f"{type(value).__name__}:{value!r}"
        events.append((what, type(parent).__name__, key))

    gen = make(owner, failed.append, on_close=on_close, **options)
    next(gen)
    log: list[Any] = []
    for piece in [*pieces, build.CLOSE]:
        try:
            result = gen.send(piece)
        except ParseError as e:
            log.append(
                (
                    "error",
                    type(e).__name__,
                    e.msg,
                    e.offset,
                    e.line,
                    e.column,
                    e.excerpt,
                    snapshot(e.partial),
                    failed == [e],
                )
            )
            break
        got = list(result) if isinstance(result, tuple) else result
        log.append(("ok", type(result).__name__, snapshot(got), snapshot(owner.value)))
    log.append(("events", events))
    return log


def agree(pieces: Sequence[Any], **options: Any) -> None:
    expected = run(PY_ENGINE, pieces, **options)
    got = run(C_ENGINE, pieces, **options)
    assert got == expected, (pieces, options)


OPTIONS: list[dict[str, Any]] = [
    {},
    {"multiple": True},
    {"partial_strings": False},
    {"max_depth": 3, "max_string": 5, "max_number": 4},
]


@pytest.mark.parametrize("path", sorted(TEST_PARSING.glob("*.json")), ids=lambda p: p.name)
def test_jsontestsuite_files(path: Any) -> None:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    for k, options in enumerate(OPTIONS):
        for name, pieces in chunkings(data, path.name):
            if name == "each" and (k or len(data) > 2000):
                continue  # (byte by byte: default options only, small files)
            agree(pieces, **options)
        if text is not None:
            for _, pieces in chunkings(text, path.name):
                agree(pieces, **options)


@settings(max_examples=600, deadline=None)
@given(st.data(), mutated(), st.booleans(), st.sampled_from(OPTIONS))
def test_mutated_documents(data: Any, text: str, as_bytes: bool, options: dict[str, Any]) -> None:
    payload: str | bytes = text.encode("utf-8", "surrogatepass") if as_bytes else text
    agree(data.draw(splits(payload)), **options)


def test_escapes_surrogates_and_cut_tokens() -> None:
    texts = [
        '["\\ud83d\\ude00", "\\ud83d", "\\ud83dx", "\\ud83d\\u0041", "\\udc00\\ud800", "a\\/b\\"c"]',
        '{"k\\u00e9y": [true, false, null], "n": [-0, -0.0, 1e400, 1E-400, 12345678901234567890123]}',
        '[1.5e+3, 0.25, -12, 7e0, "x\\ty", "\\b\\f\\n\\r\\t\\\\"]',
        '{"a": {"b": {"c": []}}, "d": [[], {}], "e": ""}',
        '"top-level \\u00e9 string"',
        "12345",
        '  [1, 2, 3]  "extra"',
        "[01, 2]",
        '["\\u12G4"]',
        '["\\x"]',
        "[1.]",
        "[-]",
        "[tru]",
        '{"a" 1}',
        "[1 2]",
        '["tab\there"]',
    ]
    rnd = random.Random(7)
    for text in texts:
        for options in OPTIONS:
            agree([text], **options)
            agree(list(text), **options)
            agree([text.encode()[k : k + 1] for k in range(len(text.encode()))], **options)
            for _ in range(5):
                agree(random_splits(text, rnd.random(), max_len=4), **options)
