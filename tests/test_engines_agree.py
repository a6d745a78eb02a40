"""The C engine against the Python one, in one process: the same results, events and errors.

(The comparison itself is the fuzz oracle's ``engines_agree``; ``fuzz/fuzz_engines.py`` runs it
on generated inputs.)

The suite runs once per engine, which checks each against json.loads and the partial-value
contract. This is the closer check: both engines are fed the same pieces side by side and must
return the same thing from every feed, hold the same partial value after it, emit the same raw
events (``on_event(kind, value, key)``, every one, in order), and fail with the same error
(class, message, offset, line, column, excerpt, partial). Inputs: the JSONTestSuite files and
mutated random documents and long strings with escapes, split anywhere, as str and bytes, with
every option and with small limits.
"""

from __future__ import annotations

import json
import os
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from midstream.engine import build
from support.corpus import TEST_PARSING, chunkings, random_splits
from support.oracle import C_ENGINE, ENGINE_OPTIONS, engine_log, engines_agree
from tests.strategies import mutated, splits

pytestmark = pytest.mark.engines_compared

if C_ENGINE is None:  # (the oracle binds it directly: it runs whichever engine is selected)
    if os.environ.get("CI"):
        raise AssertionError("CI: the compiled engine must be built to compare it")
    pytest.skip("no compiled engine here (see setup.py)", allow_module_level=True)


@pytest.mark.parametrize("path", sorted(TEST_PARSING.glob("*.json")), ids=lambda p: p.name)
def test_jsontestsuite_files(path: Any) -> None:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    for k, options in enumerate(ENGINE_OPTIONS):
        for name, pieces in chunkings(data, path.name):
            if name == "each" and (k or len(data) > 2000):
                continue  # (byte by byte: default options only, small files)
            engines_agree(pieces, **options)
        if text is not None:
            for _, pieces in chunkings(text, path.name):
                engines_agree(pieces, **options)


@settings(max_examples=600, deadline=None)
@given(st.data(), mutated(), st.booleans(), st.sampled_from(ENGINE_OPTIONS))
def test_mutated_documents(data: Any, text: str, as_bytes: bool, options: dict[str, Any]) -> None:
    payload: str | bytes = text.encode("utf-8", "surrogatepass") if as_bytes else text
    engines_agree(data.draw(splits(payload)), **options)


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
        for options in ENGINE_OPTIONS:
            engines_agree([text], **options)
            engines_agree(list(text), **options)
            engines_agree([text.encode()[k : k + 1] for k in range(len(text.encode()))], **options)
            for _ in range(5):
                engines_agree(random_splits(text, rnd.random(), max_len=4), **options)


LONG_TEXT = st.text(alphabet=st.sampled_from(list('ab é😀"\\\n\t/\x01')), min_size=200, max_size=6000)


@settings(max_examples=100, deadline=None)
@given(
    st.data(),
    st.lists(LONG_TEXT, min_size=1, max_size=3),
    st.booleans(),
    st.sampled_from(ENGINE_OPTIONS),
    st.sampled_from(["", "\x01", "\\x", '"]', "\\ud83d"]),
)
def test_long_strings(data: Any, strings: list[str], as_bytes: bool, options: dict[str, Any], tail: str) -> None:
    """Long strings with escapes, cut anywhere and sometimes broken: the compiled engine appends
    long runs directly and short ones through its buffer; its string events (each growth and its
    text) and its partial value on an error must still be the Python engine's."""
    text = json.dumps({"k": strings}, ensure_ascii=data.draw(st.booleans()))
    text = text[: data.draw(st.integers(len(text) // 2, len(text)))] + tail
    payload: str | bytes = text.encode("utf-8", "surrogatepass") if as_bytes else text
    engines_agree(data.draw(splits(payload)), **options)


def test_long_runs_and_many_escapes_in_one_fragment() -> None:
    run = "x" * 300
    texts = [
        '["' + (run + "\\n") * 20 + '"]',  # runs appended directly, between escapes
        '{"a": "' + "a\\n" * 3000 + run + '"}',  # over 4,096 characters held, then a run
        '"' + "\\u00e9" * 2000 + run + "\\ud83d\\ude00" * 100 + '"',
        '["' + run + "\\ud83d" + run + '\t"]',  # an error after a long run
        '["' + "b\\t" * 2100 + '\\q"]',
    ]
    for text in texts:
        for options in ENGINE_OPTIONS:
            for size in (1, 3, 7, 64, 301, 5000, len(text)):
                engines_agree([text[k : k + size] for k in range(0, len(text), size)], **options)


def maybe_big_int_cases() -> list[bytes]:
    cases = [b"", b"1" * 18, b"1" * 19, b"1" * 40, b"x" + b"1" * 19, b"." + b"1" * 30]
    for k in range(0, 60):  # a 19- or 18-digit run at every offset around the probes
        for mark in b":,[- \t\n\rx.e":
            for width in (18, 19, 20):
                cases.append(b"a" * k + bytes([mark]) + b"7" * width + b"}")
    return cases


def test_maybe_big_int_matches_the_python_check() -> None:
    from midstream.jsonl import _py_maybe_big_int
    from support.oracle import _cengine

    cases = maybe_big_int_cases()
    verdicts = [_py_maybe_big_int(data) for data in cases]
    assert [_cengine.maybe_big_int(data) for data in cases] == verdicts
    assert [_cengine.maybe_big_int(bytearray(data)) for data in cases] == verdicts
    assert 500 < sum(verdicts) < len(cases) - 500  # (both answers well represented)


@settings(max_examples=2000, deadline=None)
@given(
    st.binary(max_size=300)
    | st.lists(
        st.sampled_from(
            [b"0", b"9", b"5" * 10, b":", b",", b"[", b"-", b" ", b"\n", b".", b"e", b'"']
        ),
        max_size=80,
    ).map(b"".join)
)
def test_maybe_big_int_matches_on_any_bytes(data: bytes) -> None:
    from midstream.jsonl import _py_maybe_big_int
    from support.oracle import _cengine

    assert _cengine.maybe_big_int(data) is _py_maybe_big_int(data)


@settings(max_examples=300, deadline=None)
@given(st.data(), mutated(), st.booleans(), st.integers(0, build.ALL_KINDS))
def test_kinds_leave_out_the_other_events_only(data: Any, text: str, as_bytes: bool, kinds: int) -> None:
    """``kinds=``: each engine emits exactly the events of those kinds, in order, and parses the
    same as with every event (results, partial values, errors)."""
    payload: str | bytes = text.encode("utf-8", "surrogatepass") if as_bytes else text
    chunks = data.draw(splits(payload))
    for make in (build.python_engine, C_ENGINE):
        full = engine_log(make, chunks)
        some = engine_log(make, chunks, kinds=kinds)
        assert some[:-1] == full[:-1]
        assert some[-1][1] == [e for e in full[-1][1] if kinds >> e[0] & 1]
