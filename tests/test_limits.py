"""Limits and hostile input: a LimitExceededError, never RecursionError, MemoryError or a hang."""

from __future__ import annotations

import json

import pytest

from midstream import JSONLParser, LimitExceededError, ParseError, Parser
from support.memory import peak


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
        with pytest.raises(ParseError, match=r"limit \(4300"):
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


PIECES = [("x" * 64, 64), ("ab\\ncd\\u00e9" * 8, 48)]  # (piece, its length decoded)


@pytest.mark.parametrize(
    ("opening", "partial_strings", "piece", "decoded"),
    [(o, True, *p) for o in ['"', '{"a": "', '["'] for p in PIECES]
    + [('{"a": "', False, *p) for p in PIECES],
)
def test_open_string_grows_in_place(opening: str, partial_strings: bool, piece: str, decoded: int) -> None:
    """A 1 MB string fed in small pieces is extended in place: the peak is one copy of it.

    Copying the string at each piece would peak at two copies (the old and the new one) and
    cost time quadratic in its length; this holds for both engines and every kind of slot.
    """
    p = Parser(partial_strings=partial_strings)
    p.feed(opening)
    count = 1_000_000 // len(piece)

    def feed_pieces() -> None:
        for _ in range(count):
            p.feed(piece)

    used = peak(feed_pieces)
    assert used < 1.2 * count * decoded, used


@pytest.mark.parametrize("opening", ['"', '{"a": "', '["'])
def test_markdown_string_grows_in_place(opening: str) -> None:
    """Plain deltas (the fragment-in-a-string fast path) between deltas with an escape (the
    general string path), as in markdown with ``\\n``: the string is still extended in place.

    A second reference to it left in the engine by one path makes the other copy it: the peak is
    then two copies, and the time quadratic (1 MB: 486 ns per delta at the start, 7,141 at the
    end).
    """
    p = Parser()
    p.feed(opening)
    pieces = ["a line of text ", "\\n", "more text, then ", "\\u00e9 and a quote \\\" ", "x"]
    decoded = sum(len(json.loads(f'"{piece}"')) for piece in pieces)
    count = 400_000 // decoded

    def feed_pieces() -> None:
        for _ in range(count):
            for piece in pieces:
                p.feed(piece)

    used = peak(feed_pieces)
    assert used < 1.2 * count * decoded, used


def test_open_number_held_in_linear_memory() -> None:
    """A 500,000-digit number (limit raised) fed in distinct pieces: memory stays linear in it.

    The cut number is kept as its pieces and joined once when it ends (its time is linear too:
    ``python -m benchmarks.hostile``, "number of n digits").
    """
    p = Parser(max_number=600_000)
    p.feed("[0.")
    pieces = [str(k % 10) * 50 for k in range(500_000 // 50)]

    def feed_pieces() -> None:
        for piece in pieces:
            p.feed(piece)

    used = peak(feed_pieces)
    assert used < 3 * 500_000, used
    p.feed("]")
    assert p.close() == [float("0." + "".join(pieces))]


def test_jsonl_line_limit() -> None:
    j = JSONLParser(on_error="skip", max_line=100)
    out = j.feed('{"a": "' + "x" * 200)
    out += j.feed('"}\n{"b": 2}\n')
    assert out == [{"b": 2}]
    assert len(j.errors) == 1 and isinstance(j.errors[0], LimitExceededError)
    assert j.errors[0].line == 1
    with pytest.raises(LimitExceededError):
        JSONLParser(max_line=100).feed("x" * 101)


def test_nul_and_control_bytes() -> None:
    for data in [b"\x00", b"[\x00]", b'["a\x00b"]', b'{"a\x1f": 1}', b'["\x7f"]', b"[1]\x00"]:
        for chunks in ([data], [data[k : k + 1] for k in range(len(data))]):
            p = Parser()
            try:
                for c in chunks:
                    p.feed(c)
                value = p.close()
            except ParseError:
                assert data != b'["\x7f"]'  # DEL is an ordinary character in JSON strings
            else:
                assert data == b'["\x7f"]' and value == ["\x7f"]
    p = Parser()
    p.feed(b'["\\u0000\\u001f"]')
    assert p.close() == ["\x00\x1f"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('"\\ud800"', "\ud800"),  # lone high
        ('"\\udc00"', "\udc00"),  # lone low
        ('"\\udc00\\ud800"', "\udc00\ud800"),  # reversed pair: two lone surrogates
        ('"\\ud800\\ud800"', "\ud800\ud800"),
        ('"\\ud800x"', "\ud800x"),
        ('"\\ud834\\udd1e"', "\U0001d11e"),
    ],
)
def test_surrogate_escapes(text: str, value: str) -> None:
    assert json.loads(text) == value
    for size in (1, 2, 3, 7, len(text)):
        p = Parser()
        for k in range(0, len(text), size):
            p.feed(text[k : k + size])
        assert p.close() == value


def test_one_byte_per_feed_megabyte_document() -> None:
    from support.docs import llm_document

    data = llm_document(1_000_000).encode()
    p = Parser()
    feed = p.feed
    for k in range(len(data)):
        feed(data[k : k + 1])
    assert p.close() == json.loads(data)




def test_memory_bounded_by_limits() -> None:
    opener = "[" * 1_000_000

    def deep() -> None:
        with pytest.raises(LimitExceededError):
            Parser().feed(opener)

    def long_number() -> None:
        p = Parser()
        with pytest.raises(LimitExceededError):
            for _ in range(100_000):  # a million digits, ten at a time
                p.feed("1234567890")

    def jsonl_records() -> None:
        # 20 MB of JSONL in 64 KiB chunks: memory follows the largest record, not the file
        record = json.dumps({"k": "x" * 200, "n": list(range(20))}).encode() + b"\n"
        chunk = record * (65536 // len(record))
        j = JSONLParser()
        for _ in range(20_000_000 // len(chunk)):
            assert j.feed(chunk)

    assert peak(deep) < 200_000  # the 1024 open lists, not a million
    assert peak(long_number) < 200_000  # bounded by max_number, not by the digits fed
    assert peak(jsonl_records) < 2_000_000  # about one chunk of records


def test_string_memory_is_the_string() -> None:
    def big_string() -> None:
        p = Parser()
        p.feed('"')
        piece = "é" * 4096
        for _ in range(1000):  # 4 Mi characters in 4 KiB pieces, value read after each
            p.feed(piece)
            p.value  # noqa: B018
        p.feed('"')
        p.close()

    used = peak(big_string)
    assert used < 3 * 2 * 4096 * 1000, used  # the 2-byte-per-char string, ~once (not a buffer too)
