"""Unwrap: prose and a Markdown fence before a JSON value, found while streaming."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from midstream.integrations.fences import Unwrap


def unwrap(pieces: list[str]) -> tuple[str, str]:
    u = Unwrap()
    out = "".join(u.feed(p) for p in pieces)
    return out, u.skipped


def splits(text: str, seed: int) -> list[str]:
    rnd = random.Random(seed)
    out, k = [], 0
    while k < len(text):
        m = rnd.randint(1, 6)
        out.append(text[k : k + m])
        k += m
    return out


CASES = [
    ('{"a": 1}', ""),
    ('  \n{"a": 1}', "  \n"),
    ('```json\n{"a": 1}\n```', "```json\n"),
    ('```\n[1, 2]\n```\nDone.', "```\n"),
    ('Here is the result:\n\n```json\n{"a": "x"}\n```', "Here is the result:\n\n```json\n"),
    ('Sure! The data is {"a": [1]} as asked.', "Sure! The data is "),
    ('3 items found: [1, 2, 3]', "3 items found: "),
    ('Use `x` here:\n```JSON  \n{"a": 1}', "Use `x` here:\n```JSON  \n"),
    ("text with ``` inside a line then [1]", "text with ``` inside a line then "),
]


@pytest.mark.parametrize(("text", "skipped"), CASES)
def test_cases_whatever_the_split(text: str, skipped: str) -> None:
    for pieces in ([text], list(text), *(splits(text, s) for s in range(20))):
        out, dropped = unwrap(pieces)
        assert (dropped, out) == (skipped, text[len(skipped) :])


def test_no_value_yet_holds_nothing_but_a_fence_opener() -> None:
    u = Unwrap()
    assert u.feed("Thinking about it") == "" and not u.started
    assert u.feed("\n``") == "" and u.skipped == "Thinking about it\n"  # held: maybe a fence
    assert u.feed("`json\n") == ""
    assert u.feed(' {"a"') == '{"a"' and u.started
    assert u.feed("``` and anything") == "``` and anything"  # the value's own text: passed on


def test_a_long_line_after_backticks_is_not_a_fence_tag() -> None:
    text = "```" + "x" * 40 + " then [1]"
    out, skipped = unwrap(list(text))
    assert (out, skipped) == ("[1]", text[:-3])


prose = st.text(st.sampled_from(list("abc XYZ:.!?-123\n`")), max_size=40).filter(
    lambda s: "```" not in s and "{" not in s and "[" not in s
)
values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=4), kids, max_size=3),
    max_leaves=8,
).map(lambda v: v if isinstance(v, (dict, list)) else [v])


@settings(max_examples=300, deadline=None)
@given(prose, st.booleans(), st.sampled_from(["", "json", "JSON", "jsonc "]), values, prose, st.integers(0, 10**6))
def test_generated(before: str, fenced: bool, tag: str, value: object, after: str, seed: int) -> None:
    body = json.dumps(value, ensure_ascii=False)
    head = before + (("\n" if before else "") + "```" + tag + "\n" if fenced else "")
    text = head + body + ("\n```\n" if fenced else "") + after
    out, skipped = unwrap(splits(text, seed))
    assert skipped == head
    assert out == text[len(head) :]


@pytest.mark.parametrize("after", ["", "\n```", "\n```\nThat is all.", " [1, 2", "```\n{"])
def test_the_parser_ignores_what_follows_the_value(after: str) -> None:
    from midstream import Parser

    text = 'Here you go:\n```json\n{"a": [1, "x"], "b": 2.5}' + after
    for pieces in ([text], list(text), *(splits(text, s) for s in range(10))):
        u, p = Unwrap(), Parser(trailing="ignore")
        for piece in pieces:
            p.feed(u.feed(piece))
        assert p.close() == {"a": [1, "x"], "b": 2.5}
    with pytest.raises(ValueError, match="trailing must be"):
        Parser(trailing="maybe")
