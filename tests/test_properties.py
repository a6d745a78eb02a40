"""Property tests: random documents x random splits == json.loads; snapshots only grow."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from midstream import Parser
from support.oracle import same
from tests.strategies import documents, splits


def grows(a: Any, b: Any, exact_strings: bool = False) -> bool:
    """True when snapshot ``a`` is a prefix of ``b`` under the partial-value contract
    (with ``exact_strings``, a string shown must already be complete)."""
    if a is None:
        return True  # nothing yet (or a null that equals b, checked by the caller's final test)
    if isinstance(a, str):
        return isinstance(b, str) and (a == b if exact_strings else b.startswith(a))
    if isinstance(a, list):
        if not isinstance(b, list) or len(a) > len(b):
            return False
        return all(same(x, y) for x, y in zip(a[:-1], b, strict=False)) and (
            not a or grows(a[-1], b[len(a) - 1], exact_strings)
        )
    if isinstance(a, dict):
        keys = list(a)
        if not isinstance(b, dict) or keys != list(b)[: len(keys)]:
            return False
        return all(same(a[k], b[k]) for k in keys[:-1]) and (
            not keys or grows(a[keys[-1]], b[keys[-1]], exact_strings)
        )
    return same(a, b)


@settings(max_examples=300, deadline=None)
@given(st.data(), documents(), st.booleans())
def test_random_splits_equal_json_loads(data: st.DataObject, text: str, as_bytes: bool) -> None:
    expected = json.loads(text)
    payload: str | bytes = text.encode() if as_bytes else text
    p = Parser()
    snapshots = []
    for piece in data.draw(splits(payload)):
        p.feed(piece)
        snapshots.append(copy.deepcopy(p.value))
    final = p.close()
    assert same(final, expected)
    # Snapshots only grow: each is a prefix of the next and of the final value.
    for a, b in zip(snapshots, [*snapshots[1:], final], strict=True):
        assert grows(a, b), (a, b)


@settings(max_examples=100, deadline=None)
@given(st.data(), st.lists(documents(), min_size=1, max_size=5))
def test_multiple_values(data: st.DataObject, texts: list[str]) -> None:
    stream = "\n".join(texts)  # a separator is needed between two numbers or literals
    p = Parser(multiple=True)
    got: list[Any] = []
    for piece in data.draw(splits(stream)):
        got += p.feed(piece)
    got += p.close()
    assert len(got) == len(texts)
    assert all(same(g, json.loads(t)) for g, t in zip(got, texts, strict=True))


@settings(max_examples=150, deadline=None)
@given(st.data(), documents())
def test_hidden_partial_strings(data: st.DataObject, text: str) -> None:
    """With partial_strings=False no unfinished string is ever shown; the result is unchanged."""
    p = Parser(partial_strings=False)
    snapshots = []
    for piece in data.draw(splits(text)):
        p.feed(piece)
        snapshots.append(copy.deepcopy(p.value))
    final = p.close()
    assert same(final, json.loads(text))
    for snap in snapshots:
        assert grows(snap, final, exact_strings=True), (snap, final)
