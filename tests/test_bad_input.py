"""Bad input: the verdict of json.loads, under any split, and only ParseError ever escapes.

Documented differences from ``json.loads``: it accepts ``NaN``/``Infinity``/``-Infinity`` (we
don't, RFC 8259 has none), it fails on nesting deeper than the recursion limit with
RecursionError (we have ``max_depth``), and for bytes it also reads UTF-16/32 (we take UTF-8).
"""

from __future__ import annotations

import doctest
import json
import re
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

import partialjson.parser
from fuzz.oracle import same
from partialjson import JSONLParser, ParseError, Parser
from tests.strategies import documents, splits

NON_RFC = re.compile(r"NaN|Infinity")
ALPHABET = st.sampled_from(list('{}[]:,"\\ 0123456789-+.eEtrufalsn\n\tx\x00\x1fé😀\ufeff\u00a0'))


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(documents())
    for _ in range(draw(st.integers(1, 4))):
        k = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "replace", "truncate"]))
        c = draw(ALPHABET)
        if op == "insert":
            text = text[:k] + c + text[k:]
        elif op == "delete":
            text = text[:k] + text[k + 1 :]
        elif op == "replace":
            text = text[:k] + c + text[k + 1 :]
        else:
            text = text[:k]
    return text


def verdict_of_json_loads(text: str) -> tuple[str, Any]:
    try:
        return "ok", json.loads(text)
    except ValueError:
        return "error", None


def verdict_of_parser(pieces: list[Any]) -> tuple[str, Any]:
    p = Parser()
    try:
        for piece in pieces:
            p.feed(piece)
        return "ok", p.close()
    except ParseError:
        return "error", None


@settings(max_examples=1000, deadline=None)
@given(st.data(), mutated(), st.booleans())
@example(None, '{"a": [1, 2}', False)
@example(None, '"\\ud800\\u00"', True)
def test_same_verdict_as_json_loads(data: Any, text: str, as_bytes: bool) -> None:
    if NON_RFC.search(text):
        return  # documented: json.loads takes NaN and Infinity
    expected = verdict_of_json_loads(text)
    payload: str | bytes = text.encode("utf-8", "surrogatepass") if as_bytes else text
    pieces = [payload] if data is None else data.draw(splits(payload))
    if as_bytes and text[:1] == "\ufeff":
        expected = verdict_of_json_loads(text[1:])  # a BOM starting bytes input is accepted
    got = verdict_of_parser(pieces)
    assert got[0] == expected[0], (text, got, expected)
    if got[0] == "ok":
        assert same(got[1], expected[1])


@settings(max_examples=300, deadline=None)
@given(st.data(), st.lists(mutated(), max_size=6))
def test_jsonl_same_verdict_per_line(data: Any, texts: list[str]) -> None:
    lines = [t.replace("\n", " ").replace("\r", " ") for t in texts if not NON_RFC.search(t)]
    stream = "\n".join(lines)
    j = JSONLParser(on_error="skip")
    got: list[Any] = []
    for piece in data.draw(splits(stream)):
        got += j.feed(piece)
    got += j.close()
    # (JSON whitespace only: str.strip() would also strip U+001C..U+001F)
    good = [v for line in lines if line.strip(" \t\r") for ok, v in [verdict_of_json_loads(line)] if ok == "ok"]
    bad = [n for n, line in enumerate(lines, 1) if line.strip(" \t\r") and verdict_of_json_loads(line)[0] == "error"]
    assert len(got) == len(good) and all(same(a, b) for a, b in zip(got, good, strict=True))
    assert [e.line for e in j.errors] == bad


def test_docstring_examples() -> None:
    result = doctest.testmod(partialjson.parser)
    assert result.attempted > 0 and result.failed == 0
