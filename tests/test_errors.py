"""Bad input: ParseError with offset, line, column and a message saying expected vs found."""

from __future__ import annotations

import itertools
import pickle
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from fuzz.oracle import snapshot
from midstream import IncompleteJSONError, JSONLParser, LimitExceededError, ParseError, Parser


def error_of(chunks: list[str | bytes]) -> ParseError:
    p = Parser()
    with pytest.raises(ParseError) as info:
        for c in chunks:
            p.feed(c)
        p.close()
    return info.value


@pytest.mark.parametrize(
    ("text", "offset", "line", "column", "message"),
    [
        ("[1,]", 3, 1, 4, "expected a value, found ']'"),
        ('{"a" 1}', 5, 1, 6, "expected ':' after an object key, found '1'"),
        ("[1 2]", 3, 1, 4, "expected ',' or ']', found '2'"),
        ('{"a": 1 "b"}', 8, 1, 9, "expected ',' or '}', found '\"'"),
        ("{,}", 1, 1, 2, "expected a string key or '}', found ','"),
        ('{"a":1,}', 7, 1, 8, "expected a string key, found '}'"),
        ("[\n  1,\n  x]", 9, 3, 3, "expected a value, found 'x'"),
        ("[01]", 1, 1, 2, "invalid number '01'"),
        ("[1.]", 1, 1, 2, "invalid number '1.'"),
        ("[-]", 1, 1, 2, "invalid number '-'"),
        ("[NaN]", 1, 1, 2, "expected a value or ']', found 'N'"),
        ("[1, Infinity]", 4, 1, 5, "expected a value, found 'I'"),
        ('["a\x01"]', 3, 1, 4, "invalid control character U+0001 in string"),
        ('["\\x"]', 2, 1, 3, "invalid escape '\\x' in string"),
        ('["\\u12G4"]', 2, 1, 3, "invalid \\uXXXX escape"),
        ("[tru]", 1, 1, 2, "expected a value or ']', found 't'"),
        ("[1, -12.5e]", 4, 1, 5, "invalid number '-12.5e'"),
        ("{} x", 3, 1, 4, "extra data after the JSON value"),
        ("[1]]", 3, 1, 4, "extra data"),
        ("\ufeff[]", 0, 1, 1, "byte order mark"),  # a BOM is accepted in bytes only
        ("[\u00a0]", 1, 1, 2, "expected a value or ']'"),  # NBSP is not JSON whitespace
    ],
)
def test_error_location(text: str, offset: int, line: int, column: int, message: str) -> None:
    for chunks in ([text], list(text)):
        e = error_of(list(chunks))
        assert (e.offset, e.line, e.column) == (offset, line, column), (chunks, e)
        assert message in str(e)
        assert type(e) is ParseError


def test_invalid_utf8_bytes() -> None:
    for data in [
        b'["\xff"]',
        b'["\xc0\xaf"]',
        b'["\xed\xa0\x80"]',
        b'["\xe2\x82"]',
        b"[1]\xef\xbb\xbf",
    ]:
        for chunks in ([data], [data[k : k + 1] for k in range(len(data))]):
            e = error_of(list(chunks))
            assert (
                "UTF-8" in str(e)
                or "byte order mark" in str(e)
                or isinstance(e, IncompleteJSONError)
            )


def test_truncated_utf8_at_end_is_incomplete() -> None:
    p = Parser()
    p.feed(b'"caf\xc3')
    assert p.value == "caf"
    with pytest.raises(IncompleteJSONError, match="UTF-8"):
        p.close()


def test_bom_only_at_start_of_bytes() -> None:
    p = Parser()
    for b in b"\xef\xbb\xbf[1]":
        p.feed(bytes([b]))
    assert p.close() == [1]
    with pytest.raises(ParseError, match="byte order mark"):
        Parser().feed(b" \xef\xbb\xbf[1]")


def test_feed_after_error_fails_clearly() -> None:
    p = Parser()
    p.feed('{"a": [1, ')
    with pytest.raises(ParseError) as first:
        p.feed("}")
    assert first.value.partial == {"a": [1]}
    assert p.failed is first.value
    with pytest.raises(ParseError, match="after a parse error"):
        p.feed("2]}")
    with pytest.raises(ParseError):
        p.close()
    assert p.value == {"a": [1]}  # never a wrong value after an error


def test_feed_after_close_fails_clearly() -> None:
    p = Parser()
    p.feed("[1]")
    assert p.close() == [1]
    assert p.close() == [1]  # idempotent
    with pytest.raises(ParseError, match="after close"):
        p.feed("[2]")


def test_wrong_type_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        Parser().feed(12)  # type: ignore[arg-type]


def test_errors_pickle_and_are_value_errors() -> None:
    e = error_of(["[1,]"])
    assert isinstance(e, ValueError)
    e2 = pickle.loads(pickle.dumps(e))
    assert (e2.offset, e2.line, e2.column, str(e2)) == (e.offset, e.line, e.column, str(e))
    assert issubclass(IncompleteJSONError, ParseError)
    assert issubclass(LimitExceededError, ParseError)


# ---- the same error whatever the split ---------------------------------------------------------


def outcome(pieces: Sequence[Any], **options: Any) -> tuple[Any, ...]:
    """The verdict of a parser fed ``pieces``: its value, or its error without the excerpt (the
    text around the error comes from the fragment at hand)."""
    p = Parser(**options)
    try:
        for piece in pieces:
            p.feed(piece)
        return ("ok", tuple(snapshot(p.close())))
    except ParseError as e:
        return (type(e).__name__, e.msg, e.offset, e.line, e.column, tuple(snapshot(e.partial)))


def compositions(data: Any) -> Iterator[list[Any]]:
    """Every way to cut ``data`` into pieces (2**(len-1) of them)."""
    n = len(data)
    for mask in range(1 << max(n - 1, 0)):
        cuts = [0, *(k + 1 for k in range(n - 1) if mask >> k & 1), n]
        yield [data[a:b] for a, b in itertools.pairwise(cuts)]


MALFORMED_NUMBERS = ["00", "1.2.3", "1e5e5", "0-1", "--1", "-.5", "-01", "1.e5", "1e+-5", "0.0.", "2-", "1ee"]


@pytest.mark.parametrize("text", MALFORMED_NUMBERS)
@pytest.mark.parametrize("where", ["{}", "[{}]", '{{"k": {}}}', " {} "])
def test_malformed_number_is_a_parse_error_at_every_split(text: str, where: str) -> None:
    doc = where.format(text)
    start = doc.index(text)
    for multiple in (False, True):
        for data in (doc, doc.encode()):
            verdicts = {outcome(pieces, multiple=multiple) for pieces in compositions(data)}
            assert len(verdicts) == 1, (doc, verdicts)
            kind, msg, offset, line, column, _ = verdicts.pop()
            assert kind == "ParseError" and msg.startswith("invalid number"), (doc, msg)
            assert (offset, line, column) == (start, 1, start + 1)


def test_malformed_number_message_shows_it_up_to_the_bad_character() -> None:
    for text, shown in [("1.2.3", "1.2."), ("00", "00"), ("-.5", "-."), ("1e5e5", "1e5e"), ("[1.]", "1."), ("-", "-")]:
        for pieces in ([text + " "], [*text, " "]):
            assert outcome(pieces)[1] == f"invalid number {shown!r}", text


def test_a_cut_number_is_incomplete_only_when_it_can_still_go_on() -> None:
    for text in ["-", "1.", "1e", "1e+", "-0.5E-"]:
        for pieces in ([text], list(text)):
            assert outcome(pieces)[0] == "IncompleteJSONError", text
    for pieces in (["9" * 5000], ["9" * 2500, "9" * 2500]):  # whole: beyond the int-conversion limit
        assert outcome(pieces)[:3] == ("LimitExceededError", outcome(["9" * 5000])[1], 0)
    # cut, an integer too long to convert may still become a float
    assert outcome(["9" * 5000, ".5"]) == ("ok", tuple(snapshot(float("9" * 5000 + ".5"))))


def test_str_subclasses_are_text() -> None:
    class Text(str):
        def __str__(self) -> str:  # (never used: the text is the string's own)
            return "garbage"

    p = Parser()
    assert p.feed(Text('{"a": [1, "x')) == ()
    assert p.value == {"a": [1, "x"]}
    p.feed(Text('y"]}'))
    assert p.close() == {"a": [1, "xy"]}

    class Data(bytes):
        pass

    for piece in (Data(b"[1]"), bytearray(b"[1]"), memoryview(b"[1]")):
        assert Parser().feed(piece) == [[1]]
    j = JSONLParser()
    assert j.feed(Text('{"a": 1}\n[2]\n')) == [{"a": 1}, [2]]
