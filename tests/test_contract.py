"""The partial-value contract of the README, case by case."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from midstream import IncompleteJSONError, Parser, parse_partial


def snapshots(chunks: list[str], **opts: Any) -> list[Any]:
    p = Parser(**opts)
    out = []
    for c in chunks:
        p.feed(c)
        out.append(copy.deepcopy(p.value))
    return out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),  # nothing has begun
        ("  ", None),
        ("{", {}),  # containers appear as soon as they open
        ("[", []),
        ('{"a', {}),  # keys never appear half-written
        ('{"a"', {}),
        ('{"a":', {}),  # a member appears once its value begins...
        ('{"a": "', {"a": ""}),  # ...an open string shows its text so far
        ('{"a": "xy', {"a": "xy"}),
        ('{"a": 1', {}),  # numbers only once complete: 1 may become 12
        ('{"a": 12,', {"a": 12}),
        ('{"a": -', {}),
        ('{"a": 1.5e', {}),
        ('{"a": t', {}),  # literals only once complete
        ('{"a": tru', {}),
        ('{"a": true', {"a": True}),
        ('{"a": nul', {}),
        ('{"a": null', {"a": None}),
        ('{"a": [', {"a": []}),
        ('{"a": [{"b', {"a": [{}]}),
        ('["ab\\', ["ab"]),  # escapes decoded up to the last complete one
        ('["ab\\n', ["ab\n"]),
        ('["ab\\u00', ["ab"]),
        ('["ab\\u00e9', ["abé"]),
        ('["\\ud83d', [""]),  # a high surrogate waits for its pair
        ('["\\ud83d\\ude', [""]),
        ('["\\ud83d\\ude00', ["😀"]),
        ('["\\ud83dx', ["\ud83dx"]),  # ...and stays lone, as json.loads gives it
        ('"abc', "abc"),  # a top-level string
        ("12", None),  # a top-level number completes only at close() or a delimiter
        ("12 ", 12),
        ("[1, 2", [1]),
        ("[1, 2]", [1, 2]),
    ],
)
def test_partial_value(text: str, expected: Any) -> None:
    p = Parser()
    p.feed(text)
    assert p.value == expected
    assert parse_partial(text) == expected
    # the same text fed one character at a time gives the same partial value
    q = Parser()
    for ch in text:
        q.feed(ch)
    assert q.value == expected


def test_hidden_partial_strings() -> None:
    assert snapshots(['{"a": "x', 'y", "b": ["z', '"]}'], partial_strings=False) == [
        {},
        {"a": "xy", "b": []},
        {"a": "xy", "b": ["z"]},
    ]
    assert parse_partial('["abc', partial_strings=False) == []


def test_value_is_live_and_grows_in_place() -> None:
    p = Parser()
    p.feed('{"items": [{"id": 1}, ')
    root = p.value
    p.feed('{"id": 2}], "note": "hi"}')
    assert p.value is root
    assert root == {"items": [{"id": 1}, {"id": 2}], "note": "hi"}


def test_long_open_string_read_after_every_delta() -> None:
    p = Parser()
    p.feed('{"text": "')
    total = ""
    for k in range(5000):
        piece = f"w{k} "
        p.feed(piece)
        total += piece
        assert p.value["text"] == total
    p.feed('"}')
    assert p.close() == {"text": total}


def test_caller_may_keep_old_string_snapshots() -> None:
    p = Parser()
    p.feed('["ab')
    kept = p.value[0]
    p.feed("cd")
    assert kept == "ab"  # strings handed out are never mutated
    assert p.value == ["abcd"]


def test_feed_returns_completed_values() -> None:
    p = Parser()
    assert p.feed('{"a": [1') == ()
    assert p.feed("]}") == [{"a": [1]}]
    assert p.close() == {"a": [1]}
    m = Parser(multiple=True)
    assert m.feed('1 [2] {"x": 3} "s" tr') == [1, [2], {"x": 3}, "s"]
    assert m.feed("ue 4") == [True]
    assert m.close() == [4]


def test_incomplete_keeps_everything_received() -> None:
    p = Parser()
    p.feed('{"a": [1, 2.5, "x')
    with pytest.raises(IncompleteJSONError) as info:
        p.close()
    assert info.value.partial == {"a": [1, 2.5, "x"]}
    assert info.value.offset == len('{"a": [1, 2.5, "x')
    # a number cut by the end of input is complete: it is kept
    p = Parser()
    p.feed('{"a": 12')
    with pytest.raises(IncompleteJSONError) as info:
        p.close()
    assert info.value.partial == {"a": 12}
    # with hidden partial strings the open string is still kept in the error
    p = Parser(partial_strings=False)
    p.feed('["ab')
    with pytest.raises(IncompleteJSONError) as info:
        p.close()
    assert info.value.partial == ["ab"]


def test_close_of_nothing() -> None:
    with pytest.raises(IncompleteJSONError, match="no JSON value"):
        Parser().close()
    assert Parser(multiple=True).close() == []


def test_cut_token_at_close() -> None:
    for text in ["tru", '"\\u12', "[1, fal", '"\\']:
        p = Parser()
        p.feed(text)
        with pytest.raises(IncompleteJSONError):
            p.close()


def test_top_level_scalars() -> None:
    for text, value in [
        ("12", 12),
        ("-0", 0),
        ("-0.0", -0.0),
        ("true", True),
        ('"x"', "x"),
        ("null", None),
    ]:
        p = Parser()
        p.feed(text)
        assert p.close() == value
