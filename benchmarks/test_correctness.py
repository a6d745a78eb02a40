"""The correctness column's checker (benchmarks/correctness.py) says what it should."""

from __future__ import annotations

import json

from benchmarks.correctness import backwards, check, same
from midstream import Parser


def test_same_compares_types() -> None:
    assert same({"a": [1, 2.5, True, None, "x"]}, {"a": [1, 2.5, True, None, "x"]})
    assert not same(1, 1.0) and not same(1, True) and not same(0, False) and not same(1.0, True)
    assert not same({"a": 1}, {"a": 1.0}) and not same([1], [1, 2]) and not same({"a": 1}, {"b": 1})
    assert same({"a": 1, "b": 2}, {"b": 2, "a": 1})  # key order does not count
    assert not same("1", 1) and not same(None, {}) and not same([], {})


def test_a_growing_value_goes_nowhere_backwards() -> None:
    snaps = [None, {}, {"a": ""}, {"a": "ab"}, {"a": "abc", "b": [1]}, {"a": "abc", "b": [1, {"c": True}]}]
    assert backwards(snaps) == {}


def test_each_kind_is_counted() -> None:
    assert backwards([{"n": 12}, {"n": 123}]) == {"number": 1}  # a number shown cut
    assert backwards([{"n": 1}, {"n": 1.5}]) == {"number": 1}  # int then float: a number too
    assert backwards([{"a": 1, "b": 2}, {"a": 1}]) == {"missing": 1}
    assert backwards([[1, 2, 3], [1]]) == {"missing": 2}
    assert backwards([{"a": None}, {"a": "x"}]) == {"type": 1}  # a null placeholder
    assert backwards([{"a": "x"}, {"a": ["x"]}]) == {"type": 1}
    assert backwards([{"s": "abc"}, {"s": "abd"}]) == {"string": 1}
    assert backwards([{"t": True}, {"t": False}]) == {"changed": 1}
    assert backwards([{"": None}, {"c": None}]) == {"missing": 1}
    # nested, several places in one step, and several steps
    assert backwards([{"x": [{"n": 1, "s": "ab"}]}, {"x": [{"n": 2, "s": "b"}]}, {"x": []}]) == {
        "number": 1,
        "string": 1,
        "missing": 1,
    }


def test_nothing_yet_at_the_top_is_not_a_change() -> None:
    assert backwards([None, None, {"a": 1}]) == {}
    assert backwards([{"a": 1}, None]) == {"type": 1}  # but a value that vanishes is


def test_check_on_midstream_itself() -> None:
    text = '{"a": [1, 2.5e3, -7, true, null, "xy\\u00e9"], "b": {"c": 12345, "d": ""}, "e": []}'
    p = Parser()
    snaps = []
    for k in range(0, len(text), 3):
        p.feed(text[k : k + 3])
        snaps.append(json.loads(json.dumps(p.value)))  # a deep copy
    result = check(snaps, p.close(), json.loads(text))
    assert result == {"final_ok": True, "backwards": {}}
    assert check([], {"a": 1.0}, {"a": 1})["final_ok"] is False
