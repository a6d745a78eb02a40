"""JSONLParser: records as they complete, exact values, bad lines with their line numbers."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fuzz.oracle import same
from midstream import IncompleteJSONError, JSONLParser, ParseError
from tests.corpus import CORPUS, chunkings, random_splits
from tests.strategies import json_values, splits

JSONL_FILES = sorted((CORPUS / "jsonl").glob("*.*json*"))


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
