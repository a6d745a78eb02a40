"""Bad input: the verdict of json.loads, under any split, and only ParseError ever escapes.

The reference is the fuzz oracle's (``support/oracle.py``), which states the documented
differences from ``json.loads`` (NaN/Infinity, UTF-8 only, limits).
"""

from __future__ import annotations

import doctest
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

import midstream.parser
from midstream import JSONLParser
from support.oracle import parse_verdict, reference, same
from tests.strategies import mutated, splits


@settings(max_examples=1000, deadline=None)
@given(st.data(), mutated(), st.booleans())
@example(None, '{"a": [1, 2}', False)
@example(None, '"\\ud800\\u00"', True)
def test_same_verdict_as_json_loads(data: Any, text: str, as_bytes: bool) -> None:
    expected = reference(text)
    payload: str | bytes = text.encode("utf-8", "surrogatepass") if as_bytes else text
    pieces = [payload] if data is None else data.draw(splits(payload))
    if as_bytes and text[:1] == "\ufeff":
        expected = reference(text[1:])  # a BOM starting bytes input is accepted
    got = parse_verdict(pieces)
    assert got[0] == expected[0], (text, got, expected)
    if got[0] == "ok":
        assert same(got[1], expected[1])


@settings(max_examples=300, deadline=None)
@given(st.data(), st.lists(mutated(), max_size=6))
def test_jsonl_same_verdict_per_line(data: Any, texts: list[str]) -> None:
    lines = [t.replace("\n", " ").replace("\r", " ") for t in texts]
    stream = "\n".join(lines)
    j = JSONLParser(on_error="skip")
    got: list[Any] = []
    for piece in data.draw(splits(stream)):
        got += j.feed(piece)
    got += j.close()
    # (JSON whitespace only: str.strip() would also strip U+001C..U+001F)
    good = [v for line in lines if line.strip(" \t\r") for ok, v in [reference(line)] if ok == "ok"]
    bad = [n for n, line in enumerate(lines, 1) if line.strip(" \t\r") and reference(line)[0] == "error"]
    assert len(got) == len(good) and all(same(a, b) for a, b in zip(got, good, strict=True))
    assert [e.line for e in j.errors] == bad


def test_docstring_examples() -> None:
    result = doctest.testmod(midstream.parser)
    assert result.attempted > 0 and result.failed == 0
