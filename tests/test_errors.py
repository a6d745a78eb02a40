"""Bad input: ParseError with offset, line, column and a message saying expected vs found."""

from __future__ import annotations

import itertools
import pickle
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from midstream import IncompleteJSONError, JSONLParser, LimitExceededError, ParseError, Parser
from support.corpus import random_splits
from support.oracle import snapshot
from tests.strategies import mutated, splits


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


BAD_INPUTS: list[tuple[str | bytes, dict[str, Any]]] = [
    (b"[1,]\xff", {}),
    (b'["ab\xffc"]', {}),
    ('["' + "a" * 40 + '"]', {"max_string": 5}),
    ('{"' + "k" * 40 + '": 1}', {"max_string": 5}),
    ('["ab", "' + "a" * 40, {"max_string": 5}),
    ("[" + "1" * 40 + "]", {"max_number": 4}),
    ("[0." + "1" * 40 + "]", {"max_number": 4}),
    ("[" + "1" * 10 + "..]", {"max_number": 20}),
    ("[[[[[1]]]]]", {"max_depth": 3}),
    ('["\\"abc\t"]', {}),
    ('["\\"abc\t"]', {"partial_strings": False}),
    ('["' + "x" * 300 + '\t"]', {}),
    ('["' + "x" * 300 + "\\n" * 3000 + '\\q"]', {}),
    ('{"a": "b\\ud83d\\x"}', {}),
    ('["abcdef\\u00e9\x01"]', {"max_string": 5}),
    ("[1, tru]", {}),
    ('{"a" 1}', {}),
]


@pytest.mark.parametrize(("text", "options"), BAD_INPUTS)
def test_known_bad_inputs_fail_alike_at_every_split(text: str | bytes, options: dict[str, Any]) -> None:
    whole = outcome([text], **options)
    assert whole[0] != "ok"
    cuts = [list(text) if isinstance(text, str) else [text[k : k + 1] for k in range(len(text))]]
    cuts += [[text[:k], text[k:]] for k in range(0, len(text) + 1, 1 + len(text) // 300)]
    cuts += [random_splits(text, seed) for seed in range(20)]
    if isinstance(text, str):  # as bytes too (offsets count characters)
        data = text.encode()
        assert outcome([data], **options) == whole
        cuts += [[data[k : k + 1] for k in range(len(data))], random_splits(data, 0)]
    for pieces in cuts:
        assert outcome(pieces, **options) == whole, pieces


def test_split_independent_locations_named_in_the_docs() -> None:
    assert outcome([b"[1,]\xff"])[:5] == ("ParseError", "expected a value, found ']'", 3, 1, 4)
    for pieces in (['["' + "a" * 40 + '"]'], list('["' + "a" * 40 + '"]')):
        assert outcome(pieces, max_string=5) == (
            "LimitExceededError", "string longer than max_string=5", 1, 1, 2, tuple(snapshot(["aaaaa"])))
    for pieces in (["[" + "1" * 40 + "]"], list("[" + "1" * 40 + "]")):
        assert outcome(pieces, max_number=4)[:5] == (
            "LimitExceededError", "number longer than max_number=4", 1, 1, 2)


def test_partial_keeps_the_text_before_the_bad_character() -> None:
    for text, partial in [('["\\"abc\t"]', ['"abc']), ('["' + "x" * 300 + '\t"]', ["x" * 300]),
                          ('{"a": "b\\ud83d\\x"}', {"a": "b\ud83d"}), ('"abc\x00', "abc")]:
        for partial_strings in (True, False):
            for pieces in ([text], list(text), random_splits(text, 1)):
                assert outcome(pieces, partial_strings=partial_strings)[-1] == tuple(snapshot(partial)), pieces


SMALL_LIMITS = {"max_depth": 3, "max_string": 5, "max_number": 4}


@settings(max_examples=800, deadline=None)
@given(
    st.data(),
    mutated(),
    st.booleans(),
    st.sampled_from([{}, SMALL_LIMITS, {"partial_strings": False}, {"multiple": True}]),
)
@example(None, '["' + "ab" * 20 + "\x01", False, SMALL_LIMITS)
def test_error_does_not_depend_on_the_split(data: Any, text: str, as_bytes: bool, options: dict[str, Any]) -> None:
    """Class, message, offset, line, column and partial value: the same for the whole input, one
    character (or byte) at a time, and random splits."""
    payload: str | bytes = text.encode("utf-8", "surrogatepass") if as_bytes else text
    whole = outcome([payload], **options)
    each = outcome([payload[k : k + 1] for k in range(len(payload))], **options)
    assert each == whole, (payload, options)
    if data is not None:
        pieces = data.draw(splits(payload))
        assert outcome(pieces, **options) == whole, (pieces, options)


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
