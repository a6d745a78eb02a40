"""Limits and hostile input: a LimitExceededError, never RecursionError, MemoryError or a hang."""

from __future__ import annotations

import json
import tracemalloc

import pytest

from partialjson import JSONLParser, LimitExceededError, ParseError, Parser


@pytest.mark.parametrize("opener", ["[", '{"a":'])
def test_million_deep_nesting(opener: str) -> None:
    p = Parser()
    with pytest.raises(LimitExceededError, match="max_depth=1024") as info:
        p.feed(opener * 1_000_000)
    assert info.value.offset == 1024 * len(opener)


@pytest.mark.parametrize("depth", [1023, 1024])
def test_nesting_at_the_limit_parses(depth: int) -> None:
    text = "[" * depth + "]" * depth
    p = Parser()
    for k in range(0, len(text), 5):
        p.feed(text[k : k + 5])
    value = p.close()
    for _ in range(depth - 1):
        value = value[0]
    assert value == []


def test_nesting_above_the_limit_fails() -> None:
    with pytest.raises(LimitExceededError):
        Parser().feed("[" * 1025 + "]" * 1025)
    p = Parser(max_depth=10_000)
    p.feed("[" * 5000 + "]" * 5000)  # configurable; no recursion anywhere


def test_string_limit() -> None:
    p = Parser(max_string=1000)
    p.feed('"' + "x" * 1000)
    with pytest.raises(LimitExceededError, match="max_string=1000"):
        p.feed("x")
    with pytest.raises(LimitExceededError):
        Parser(max_string=10).feed('{"' + "k" * 11 + '": 1}')


def test_twenty_megabyte_string_with_and_without_escapes() -> None:
    body = "a" * 20_000_000
    p = Parser()
    p.feed('"')
    for k in range(0, len(body), 1 << 16):
        p.feed(body[k : k + (1 << 16)])
    p.feed('"')
    assert p.close() == body
    p = Parser()
    p.feed('["' + body + '"]')  # one piece: the whole-string regex path
    assert p.close() == [body]
    escaped = '"' + "\\n" * 5_000_000 + '"'
    p = Parser()
    for k in range(0, len(escaped), 1 << 16):
        p.feed(escaped[k : k + (1 << 16)])
    assert p.close() == "\n" * 5_000_000
    for text in ('"' + body, '["' + body + '"]'):
        with pytest.raises(LimitExceededError):
            Parser(max_string=1 << 20).feed(text)


def test_million_digit_number() -> None:
    with pytest.raises(LimitExceededError, match="max_number=10000"):
        Parser().feed("1" * 1_000_000)
    # within max_number, Python's own int-conversion limit surfaces as a ParseError too
    for chunks in (["9" * 5000], ["9" * 5000, " "], ["[" + "9" * 5000 + "]"]):
        p = Parser()
        with pytest.raises(ParseError, match="4300 digits"):
            for c in chunks:
                p.feed(c)
            p.close()
    big = Parser(max_number=2_000_000)
    big.feed("0." + "1" * 1_000_000)
    assert big.close() == json.loads("0." + "1" * 1_000_000)


def test_number_limit_fed_one_digit_at_a_time() -> None:
    p = Parser(max_number=100)
    with pytest.raises(LimitExceededError):
        for _ in range(200):
            p.feed("7")


def test_many_escapes_and_keys() -> None:
    text = '"' + "\\u00e9" * 500_000 + '"'
    p = Parser()
    for k in range(0, len(text), 4096):
        p.feed(text[k : k + 4096])
    assert p.close() == "é" * 500_000
    keys = "{" + ",".join(f'"{k}":{k}' for k in range(1_000_000)) + "}"
    p = Parser()
    p.feed(keys)
    assert len(p.close()) == 1_000_000


def test_memory_bounded_for_string_fed_in_small_pieces() -> None:
    """A 4 MB string fed in 64-byte pieces holds ~one copy of itself, not a growing buffer."""
    piece = "x" * 64
    p = Parser()
    p.feed('"')
    tracemalloc.start()
    for _ in range(4_000_000 // 64):
        p.feed(piece)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 3 * 4_000_000, peak


def test_jsonl_line_limit() -> None:
    j = JSONLParser(on_error="skip", max_line=100)
    out = j.feed('{"a": "' + "x" * 200)
    out += j.feed('"}\n{"b": 2}\n')
    assert out == [{"b": 2}]
    assert len(j.errors) == 1 and isinstance(j.errors[0], LimitExceededError)
    assert j.errors[0].line == 1
    with pytest.raises(LimitExceededError):
        JSONLParser(max_line=100).feed("x" * 101)
