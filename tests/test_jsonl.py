"""JSONLParser: records as they complete, exact values, bad lines with their line numbers."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from midstream import (
    IncompleteJSONError,
    JSONLParser,
    LimitExceededError,
    ParseError,
    Parser,
    StreamValidationError,
)
from support.corpus import JSONL, chunkings, random_splits
from support.oracle import same
from tests.strategies import json_values, splits

JSONL_FILES = sorted(JSONL.glob("*.*json*"))


def run(chunks: list[Any], **opts: Any) -> tuple[list[Any], JSONLParser]:
    j = JSONLParser(**opts)
    out: list[Any] = []
    for c in chunks:
        out += j.feed(c)
    out += j.close()
    return out, j


def test_corpus_files_present() -> None:
    assert [p.name for p in JSONL_FILES] == ["amazon_cellphones.ndjson", "jsonriver-jsonhead.jsonl"]


@pytest.mark.parametrize("path", JSONL_FILES, ids=lambda p: p.name)
def test_corpus_jsonl(path: Any) -> None:
    raw = path.read_bytes()
    expected = [json.loads(line) for line in raw.splitlines() if line.strip()]
    for size in (1 << 16, 4096, 7):
        chunks = [raw[k : k + size] for k in range(0, len(raw), size)]
        got, j = run(chunks)
        assert len(got) == len(expected) and all(
            same(a, b) for a, b in zip(got, expected, strict=True)
        ), size
        assert j.line == raw.count(b"\n") + (not raw.endswith(b"\n"))
    got, _ = run(random_splits(raw.decode(), path.name, 300))
    assert len(got) == len(expected)


def test_records_complete_when_their_line_does() -> None:
    j = JSONLParser()
    assert j.feed('{"a": 1}\n{"b":') == [{"a": 1}]
    assert j.partial == {}
    assert j.feed(' "x') == []
    assert j.partial == {"b": "x"}
    assert j.feed('y"}\r\n\n  \n[1, 2') == [{"b": "xy"}]
    assert j.partial == [1]
    assert j.feed("]") == []  # complete, but its line is not: a record ends at its newline
    assert j.partial == [1, 2]
    assert j.close() == [[1, 2]]


def test_exact_values_where_orjson_differs() -> None:
    lines = [
        "123456789012345678901234567890",  # orjson would give a float
        '{"id": -18446744073709551617}',
        "1e400",  # orjson rejects; json.loads gives inf
        '"\\ud800"',  # lone surrogate escape, as json.loads gives it
        '{"a": 1, "a": 2}',
        "-0.0",
        '"id 12345678901234567890 in a string"',
    ]
    text = "\n".join(lines) + "\n"
    for as_bytes in (False, True):
        got, j = run([text.encode() if as_bytes else text])
        assert all(same(a, json.loads(b)) for a, b in zip(got, lines, strict=True))
        assert not j.errors


def test_bad_lines_skipped_with_line_numbers() -> None:
    text = '{"a": 1}\n{"a": }\n\n[1, 2]\nNaN\n"ok"\n{"unterminated": "x'
    for how, chunks in chunkings(text, "bad"):
        got, j = run(list(chunks), on_error="skip")
        assert got == [{"a": 1}, [1, 2], "ok"], how
        assert [(e.line, e.column) for e in j.errors] == [(2, 7), (5, 1), (7, 20)], how
        assert isinstance(j.errors[-1], IncompleteJSONError)
        assert j.errors[-1].partial == {"unterminated": "x"}


def test_error_offsets_are_stream_byte_offsets() -> None:
    text = '{"é": 1}\n[1,]\n'
    _, j = run([text.encode()], on_error="skip")
    (e,) = j.errors
    assert e.line == 2 and e.column == 4
    assert e.offset == text.encode().index(b"]")


def test_raise_mode_stops_and_keeps_earlier_records() -> None:
    j = JSONLParser()
    with pytest.raises(ParseError) as info:
        j.feed('{"a": 1}\n[2]\n{oops}\n[3]\n')
    assert info.value.line == 3
    assert info.value.partial == [{"a": 1}, [2]]
    with pytest.raises(ParseError, match="after a parse error"):
        j.feed("[4]\n")


def test_bom_and_crlf() -> None:
    got, _ = run([b"\xef\xbb", b"\xbf[1]\r\n[2]\r\n"])
    assert got == [[1], [2]]
    got, j = run([b"[1]\n\xef\xbb\xbf[2]\n"], on_error="skip")
    assert got == [[1]] and j.errors[0].line == 2


def test_multibyte_split_across_chunks() -> None:
    data = '{"t": "日本語 😀"}\n'.encode()
    for k in range(1, len(data)):
        got, _ = run([data[:k], data[k:]])
        assert got == [{"t": "日本語 😀"}]


def test_on_error_is_checked() -> None:
    with pytest.raises(ValueError):
        JSONLParser(on_error="ignore")  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(st.data(), st.lists(json_values, max_size=8), st.lists(st.integers(0, 8), max_size=3))
def test_bad_lines_interleaved(data: st.DataObject, values: list[Any], bad_at: list[int]) -> None:
    """Every good record delivered in order; every bad line reported with its number."""
    lines = [json.dumps(v) for v in values]
    bad_lines = ['{"a": tru}', "[1,,2]", '"open', "{} {}", "nul"]
    rnd = random.Random(data.draw(st.integers()))
    for k in sorted(bad_at, reverse=True):
        lines.insert(min(k, len(lines)), rnd.choice(bad_lines))
    text = "\n".join(lines) + rnd.choice(["", "\n", "\r\n"])
    payload = text.encode() if rnd.random() < 0.5 else text
    got, j = run(data.draw(splits(payload)), on_error="skip")
    assert len(got) == len(values)
    assert all(same(a, b) for a, b in zip(got, values, strict=True))
    bad_numbers = [n for n, line in enumerate(lines, 1) if line in bad_lines]
    assert [e.line for e in j.errors] == bad_numbers


# ---- limits: the same verdict and error whatever the split and whichever path reads the line ----


def _outcome(chunks: list[Any], **opts: Any) -> tuple[list[Any], list[tuple[Any, ...]]]:
    got, j = run(chunks, on_error="skip", **opts)
    return got, [(type(e), e.msg, e.line, e.offset, e.column) for e in j.errors]


def _line_error(line: str, **limits: Any) -> ParseError:
    p = Parser(**limits)
    with pytest.raises(ParseError) as info:
        p.feed(line)
        p.close()
    return info.value


LIMIT_CASES = [
    ({"max_depth": 3}, "[[[1]]]", "[[[[1]]]]"),
    ({"max_depth": 3}, '{"a": [{}]}', '{"a": [{"b": {}}]}'),
    ({"max_depth": 1}, "[1, 2]", "[[]]"),
    ({"max_string": 5}, '["abcde"]', '["abcdef"]'),
    ({"max_string": 5}, '{"abcde": 1}', '{"abcdef": 1}'),
    ({"max_string": 5}, '["\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"]', '["\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"]'),
    ({"max_number": 5}, "[12345]", "[123456]"),
    ({"max_number": 5}, "[1.234]", "[1.2345]"),
    ({"max_number": 5}, "[1e+01]", "[1e+012]"),
    ({}, "[0." + "1" * 9998 + "]", "[0." + "1" * 9999 + "]"),  # the default max_number
    ({}, "-1e" + "0" * 9996 + "1", "-1e" + "0" * 9997 + "1"),
]


@pytest.mark.parametrize(("limits", "ok", "bad"), LIMIT_CASES, ids=lambda c: repr(c)[:30])
def test_limits_on_every_path(limits: dict[str, int], ok: str, bad: str) -> None:
    """A limit gives the same verdict and error (type, message, line, offset, column) whether the
    line goes through orjson or the exact engine, whole or split, str or bytes, closed or ended."""
    p = Parser(**limits)
    p.feed(ok)
    assert same(p.close(), json.loads(ok))  # the limit is just not exceeded by ``ok``
    e = _line_error(bad, **limits)
    start = len('[0]\n"é"\n'.encode())
    expected = [(type(e), e.msg, 3, start + e.offset, e.column)]
    for end in ("\n[2]\n" + ok, "\r\n[2]\r\n" + ok, ""):
        text = '[0]\n"é"\n' + bad + end
        for payload in (text, text.encode()):
            for how, chunks in chunkings(payload, bad):
                if how == "each" and len(payload) > 1000:
                    chunks = random_splits(payload, how, 300)
                got, errors = _outcome(list(chunks), **limits)
                assert errors == expected, (how, end)
                assert same(got, [[0], "é", [2], json.loads(ok)] if end else [[0], "é"]), (how, end)
    got, errors = _outcome([ok + "\n" + ok], **limits)
    assert errors == [] and len(got) == 2


def test_depth_beyond_what_orjson_reads() -> None:
    """max_depth above orjson's own 1024: a line orjson refuses is still read exactly."""
    deep = "[" * 1500 + "]" * 1500
    for chunks in ([deep + "\n[1]\n"], random_splits(deep + "\n[1]\n", 1, 50)):
        got, errors = _outcome(chunks, max_depth=2000)
        assert errors == [] and got[1] == [1]
    _, errors = _outcome([deep + "\n"])
    assert [(t, line) for t, _, line, *_ in errors] == [(LimitExceededError, 1)]


def test_max_line_whatever_the_split() -> None:
    """A line of more than max_line bytes (before its newline) fails the same way whether it
    arrives in one chunk or in many."""
    lines = ["[1,2,3,4]", "[1,2,3,45]", "[1,2,3,456]", '"éééé"', '"ééééé"', "[1,2,3,45]\r", " " * 11, "[7]"]
    text = "\n".join(lines) + "\n"
    starts = [len("\n".join(lines[:k]).encode()) + (k > 0) for k in range(len(lines))]
    # the byte after the first 10 of the line; columns count characters
    expected = [
        (LimitExceededError, "line longer than max_line=10 bytes", 3, starts[2] + 10, 11),
        (LimitExceededError, "line longer than max_line=10 bytes", 5, starts[4] + 10, 6),
        (LimitExceededError, "line longer than max_line=10 bytes", 6, starts[5] + 10, 11),
        (LimitExceededError, "line longer than max_line=10 bytes", 7, starts[6] + 10, 11),  # blank
    ]
    for payload in (text, text.encode(), text[:-1], text.encode()[:-1]):
        for how, chunks in chunkings(payload, "max_line"):
            got, errors = _outcome(list(chunks), max_line=10)
            assert errors == expected, how
            assert got == [[1, 2, 3, 4], [1, 2, 3, 45], "éééé", [7]], how


def test_max_line_raise_mode() -> None:
    for chunks in (["[1]\n[1,2,3,456]\n[2]\n"], ["[1]\n[1,2", ",3,456]\n[2]\n"]):
        j = JSONLParser(max_line=10)
        got: list[Any] = []
        with pytest.raises(LimitExceededError) as info:
            for c in chunks:
                got += j.feed(c)
        assert (info.value.line, info.value.offset) == (2, 14)
        assert got + info.value.partial == [[1]]
        assert j.failed is info.value


def test_max_line_str_deltas_fail_at_the_crossing_delta() -> None:
    for delta, n in (("é", 5), ("😀", 2), ("a", 10), ("\ud800", 3)):
        j = JSONLParser(max_line=10)
        j.feed("[1]\n")
        for _ in range(n):
            assert j.feed(delta) == []
        with pytest.raises(LimitExceededError) as info:
            j.feed(delta)
        assert (info.value.line, info.value.offset) == (2, 14)


def test_bom_then_blank_first_line() -> None:
    for raw in (b"\xef\xbb\xbf\n[1]\n", b"\xef\xbb\xbf\r\n[1]", b"\xef\xbb\xbf \t\n\n[1]\n", b"\xef\xbb\xbf"):
        for how, chunks in chunkings(raw, "bom"):
            got, errors = _outcome(list(chunks))
            assert errors == [] and got == ([[1]] if b"[1]" in raw else []), (raw, how)
    # a BOM is for the start of the stream only; a str stream has none (as Parser's str input)
    _, errors = _outcome([b"[1]\n\xef\xbb\xbf\n"])
    assert [(line, offset) for _, _, line, offset, _ in errors] == [(2, 4)]
    _, errors = _outcome(["\ufeff\n[1]\n"])
    assert [(line, offset) for _, _, line, offset, _ in errors] == [(1, 0)]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_model_rejects_nan_and_infinity(constant: str) -> None:
    """pydantic's JSON reader takes NaN and Infinity; the stream is strict RFC 8259 all the same."""
    from pydantic import BaseModel

    class Point(BaseModel):
        x: float
        y: float = 0.0

    text = f'{{"x": 1}}\n{{"x": 2, "y": {constant}}}\n{{"x": "NaN"}}\n{{"x": 3}}\n'
    e = _line_error(f'{{"x": 2, "y": {constant}}}')
    for payload in (text, text.encode()):
        for how, chunks in chunkings(payload, constant):
            got, errors = _outcome(list(chunks), model=Point)
            assert errors == [(type(e), e.msg, 2, len('{"x": 1}\n') + e.offset, e.column)], how
            assert len(got) == 3 and (got[0].x, got[2].x) == (1, 3), how
        with pytest.raises(ParseError) as info:
            JSONLParser(model=Point).feed(payload)
        assert info.value.line == 2 and not isinstance(info.value, StreamValidationError)


def test_failed_and_closed() -> None:
    j = JSONLParser()
    assert j.failed is None and not j.closed
    with pytest.raises(ParseError) as info:
        j.feed("[1]\n[2,]\n")
    assert j.failed is info.value and not j.closed
    for chunk in ("[3]\n", "[3", b"[3", b"\n"):
        with pytest.raises(ParseError, match=r"feed\(\) after a parse error \(expected a value") as again:
            j.feed(chunk)
        assert again.value.line == 2 and again.value.__cause__ is info.value
    with pytest.raises(ParseError) as closing:
        j.close()
    assert closing.value is info.value

    j = JSONLParser()
    j.feed(b"[1]\n[2]")
    assert j.close() == [[2]] and j.closed and j.failed is None
    assert j.close() == []
    for chunk in ("[3]\n", "[3", b"[3", b"\n"):
        with pytest.raises(ParseError, match=r"feed\(\) after close\(\)"):
            j.feed(chunk)
    with pytest.raises(TypeError):
        JSONLParser().feed(3)  # type: ignore[arg-type]

    j = JSONLParser(on_error="skip")
    j.feed("[1,]\n[2]\n")
    assert j.failed is None and len(j.errors) == 1
