"""The typed event layer (``midstream.events``): the events rebuild the partial value exactly.

Replaying the events (``Opened`` adds an empty container at its path, ``StringOpened`` and
``Scalar`` set a value, ``StringGrew`` appends text) must give ``parser.value`` after every feed,
whatever the split, for str and bytes, shown and hidden strings, one value or several; each
``Closed`` carries the value built at its path; ``Completed`` comes once per top-level value.
Every test runs on both engines (the ``engine`` fixture).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from midstream import Parser
from midstream.events import (
    ROOT,
    Closed,
    Completed,
    Event,
    EventStream,
    MemberBegan,
    Opened,
    Path,
    Scalar,
    StringGrew,
    StringOpened,
)
from support.oracle import same
from tests.strategies import documents, json_values, splits


class Replay:
    """A consumer that rebuilds the partial value from the events alone."""

    def __init__(self) -> None:
        self.value: Any = None
        self.events: list[Event] = []
        self.completed: list[Any] = []

    def _parent(self, path: Path) -> Any:
        node = self.value
        for key in path.keys[:-1]:
            node = node[key]
        return node

    def _set(self, path: Path, value: Any) -> None:
        if not path.keys:
            self.value = value
            return
        parent, key = self._parent(path), path.keys[-1]
        if isinstance(parent, list):
            assert key == len(parent), (path, parent)  # a list grows at its end only
            parent.append(value)
        else:
            assert isinstance(parent, dict) and isinstance(key, str)
            parent[key] = value

    def _get(self, path: Path) -> Any:
        return self.value if not path.keys else self._parent(path)[path.keys[-1]]

    def __call__(self, ev: Event) -> None:
        self.events.append(ev)
        if isinstance(ev, Opened):
            assert ev.value == type(ev.value)()  # empty when it opens
            self._set(ev.path, type(ev.value)())
        elif isinstance(ev, (StringOpened, Scalar)):
            self._set(ev.path, ev.text if isinstance(ev, StringOpened) else ev.value)
        elif isinstance(ev, StringGrew):
            assert ev.text, "a StringGrew event with no text"
            parent = self._parent(ev.path) if ev.path.keys else None
            if parent is None:
                self.value += ev.text
            else:
                parent[ev.path.keys[-1]] += ev.text
        elif isinstance(ev, Closed):
            assert same(self._get(ev.path), ev.value), (ev.path, self._get(ev.path), ev.value)
        elif isinstance(ev, MemberBegan):  # nothing to build yet: keys are never half-shown
            assert ev.path.parent is not None and isinstance(self._get(ev.path.parent), dict)
            assert isinstance(ev.path.keys[-1], str)
        else:
            assert isinstance(ev, Completed)
            assert same(ev.value, self.value)
            self.completed.append(ev.value)


def replay_run(pieces: list[Any], **options: Any) -> tuple[Parser, Replay]:
    """Feed ``pieces``; after every feed the replayed value must be the parser's value."""
    r = Replay()
    p = Parser(on_event=r, **options)
    for piece in pieces:
        p.feed(piece)
        assert same(r.value, p.value), (pieces, r.value, p.value)
    p.close()
    assert same(r.value, p.value)
    return p, r


@settings(max_examples=300, deadline=None)
@given(st.data(), documents(), st.booleans(), st.booleans())
def test_events_rebuild_the_partial_value(data: Any, text: str, as_bytes: bool, partial_strings: bool) -> None:
    payload: str | bytes = text.encode() if as_bytes else text
    pieces = data.draw(splits(payload))
    p, r = replay_run(pieces, partial_strings=partial_strings)
    assert r.completed == [json.loads(text)] and same(r.completed[0], p.value)
    if not partial_strings:
        assert not any(isinstance(e, (StringOpened, StringGrew)) for e in r.events)


@settings(max_examples=150, deadline=None)
@given(st.data(), st.lists(documents(), min_size=1, max_size=4), st.booleans(), st.booleans())
def test_events_of_several_values(data: Any, texts: list[str], as_bytes: bool, partial_strings: bool) -> None:
    text = "\n".join(texts)
    payload: str | bytes = text.encode() if as_bytes else text
    _, r = replay_run(data.draw(splits(payload)), multiple=True, partial_strings=partial_strings)
    expected = [json.loads(t) for t in texts]
    assert len(r.completed) == len(expected)
    assert all(same(a, b) for a, b in zip(r.completed, expected, strict=True))


LONG = st.text(alphabet=st.sampled_from(list('ab é😀"\\\n\t\x01/')), min_size=200, max_size=3000)


@settings(max_examples=60, deadline=None)
@given(st.data(), st.lists(LONG, min_size=1, max_size=3), st.booleans())
def test_events_of_long_strings_with_escapes(data: Any, strings: list[str], as_bytes: bool) -> None:
    """Long runs (which the compiled engine appends in pieces of its own) grow by exactly the
    text received, fed in small and large pieces."""
    text = json.dumps({"s": strings, "t": strings[0]}, ensure_ascii=data.draw(st.booleans()))
    payload: str | bytes = text.encode() if as_bytes else text
    _, r = replay_run(data.draw(splits(payload)))
    grown = "".join(e.text for e in r.events if isinstance(e, (StringOpened, StringGrew)) and e.path == ("t",))
    assert grown == strings[0] or not any(isinstance(e, StringOpened) and e.path == ("t",) for e in r.events)


@pytest.mark.parametrize(
    "text",
    ['"abc\\n"', "[[], {}, [[1]], {\"a\": {}}]", "12", "-0.5e3", "true", '""', '{"a": ""}', '["x\\ud83d\\ude00y"]'],
)
def test_completed_once_per_value_every_split(text: str) -> None:
    for pieces in ([text], list(text), [text[:k] for k in (len(text) // 2,)] + [text[len(text) // 2 :]]):
        for partial_strings in (True, False):
            _, r = replay_run(pieces, partial_strings=partial_strings)
            assert r.completed == [json.loads(text)]
            assert isinstance(r.events[-1], Completed)
            assert sum(isinstance(e, Completed) for e in r.events) == 1


def test_string_events_in_order() -> None:
    seen: list[Event] = []
    p = Parser(on_event=seen.append)
    for piece in ['{"k": "ab', "c\\n", "d", '"}']:
        p.feed(piece)
    p.close()
    assert [(type(e).__name__, tuple(e.path) if not isinstance(e, Completed) else None) for e in seen] == [
        ("Opened", ()),
        ("MemberBegan", ("k",)),
        ("StringOpened", ("k",)),
        ("StringGrew", ("k",)),
        ("StringGrew", ("k",)),
        ("Closed", ("k",)),
        ("Closed", ()),
        ("Completed", None),
    ]
    assert [e.text for e in seen if isinstance(e, (StringOpened, StringGrew))] == ["ab", "c\n", "d"]


def test_hidden_strings_arrive_whole() -> None:
    seen: list[Event] = []
    p = Parser(on_event=seen.append, partial_strings=False)
    for piece in ['["ab', "c\\n", 'd"]']:
        p.feed(piece)
    p.close()
    assert [e for e in seen if isinstance(e, Scalar)] == [Scalar(Path(ROOT, 0), "abc\nd")]


@settings(max_examples=100, deadline=None)
@given(st.data(), json_values)
def test_several_consumers_get_the_same_events(data: Any, value: Any) -> None:
    text = json.dumps(value)
    a: list[Event] = []
    b: list[Event] = []
    late: list[Event] = []
    p = Parser(on_event=[a.append, b.append])
    assert isinstance(p.events, EventStream)
    pieces = data.draw(splits(text))
    cut = data.draw(st.integers(0, len(pieces)))
    for k, piece in enumerate(pieces):
        if k == cut:
            p.events.subscribe(late.append)
        p.feed(piece)
    if cut == len(pieces):
        p.events.subscribe(late.append)
    p.close()
    assert a == b
    assert all(x is y for x, y in zip(a, b, strict=True))  # the same event objects, in the same order
    assert a[len(a) - len(late) :] == late


def resolve(doc: Any, pointer: str) -> Any:
    """RFC 6901: the value at ``pointer`` in ``doc``."""
    if pointer == "":
        return doc
    assert pointer.startswith("/")
    for token in pointer[1:].split("/"):
        key = token.replace("~1", "/").replace("~0", "~")
        doc = doc[int(key)] if isinstance(doc, list) else doc[key]
    return doc


def test_paths_are_tuples_and_json_pointers() -> None:
    doc = {"a/b": {"m~n": [1, {"": 2, "~1": [True]}]}, "": None, "~": {"/": "x"}, "0": [[0]]}
    seen: list[Event] = []
    p = Parser(on_event=seen.append)
    for ch in json.dumps(doc):
        p.feed(ch)
    assert p.close() == doc
    paths = {e.path.pointer: e.path for e in seen if not isinstance(e, Completed)}
    assert paths["/a~1b/m~0n/1/~01/0"] == ("a/b", "m~n", 1, "~1", 0)
    assert paths["/~0/~1"] == ("~", "/")
    assert paths["/"] == ("",)
    assert paths["/0/0/0"] == ("0", 0, 0)
    for e in seen:
        if isinstance(e, (Scalar, Closed)):
            path = e.path
            assert path == tuple(path) and tuple(path) == path.keys and len(path) == len(path.keys)
            assert hash(path) == hash(path.keys) and {path.keys: 1}[path] == 1  # type: ignore[index]
            assert same(resolve(doc, path.pointer), e.value), path.pointer
    assert ROOT == () and ROOT.pointer == "" and Path(ROOT, "a").child(0) == ("a", 0)
    assert Path(ROOT, "a") != ("b",) and Path(ROOT, "a") != ["a"]


def test_deep_paths_need_no_recursion() -> None:
    seen: list[Event] = []
    p = Parser(on_event=seen.append, max_depth=5000)
    p.feed("[" * 4000 + '{"a/~": 1}')
    deepest = seen[-2]
    assert isinstance(deepest, Scalar) and len(deepest.path) == 4001
    assert deepest.path.pointer == "/0" * 4000 + "/a~1~0"
    assert deepest.path == (0,) * 4000 + ("a/~",) and hash(deepest.path) == hash(deepest.path.keys)
