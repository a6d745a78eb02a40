"""Patches: applying each delta's operations rebuilds the parser's partial value, exactly.

The oracle is the parser itself (after every delta) and ``json.loads`` (at the end), on random
documents cut anywhere and on every recorded LLM stream; then ``apply_patch``'s own semantics,
the SSE frames, and the JavaScript module run by node on fixtures made here.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import math
import os
import pickle
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import midstream
from midstream import (
    IncompleteJSONError,
    MidstreamError,
    ParseError,
    Parser,
    Patcher,
    PatchError,
    apatches,
    apply_patch,
    patches,
)
from midstream.patches import apatches_sse, ops_json, patches_sse
from support.corpus import ROOT, random_splits
from tests.js import make_fixtures
from tests.strategies import documents, scalars, splits

Op = dict[str, Any]


def same(a: Any, b: Any) -> bool:
    """Equal as JSON values, strictly: types (1 is not 1.0 nor True), -0.0, key order."""
    return json.dumps(a) == json.dumps(b)


def containers(value: Any, out: set[int] | None = None) -> set[int]:
    out = set() if out is None else out
    if isinstance(value, (dict, list)):
        out.add(id(value))
        for v in value.values() if isinstance(value, dict) else value:
            containers(v, out)
    return out


def check_stream(deltas: list[Any], marks: bool = False, **options: Any) -> tuple[Any, list[list[Op]]]:
    """Feed ``deltas`` to a parser with a patcher and check the patch contract after each.

    Returns the final document (or the partial one at an error) and the lists of operations.
    """
    patcher = Patcher(marks=marks)
    p = Parser(on_event=patcher, **options)
    doc: Any = None
    taken: list[tuple[list[Op], list[Op], Any]] = []

    def step(ops: list[Op]) -> None:
        nonlocal doc
        doc = apply_patch(doc, ops)
        assert same(doc, p.value), (ops, doc, p.value)
        taken.append((ops, copy.deepcopy(ops), copy.deepcopy(p.value)))

    error: MidstreamError | None = None
    try:
        for d in deltas:
            try:
                p.feed(d)
            finally:
                step(patcher.take())
        try:
            p.close()
        finally:  # (the end of input may complete a number, even in a stream cut short)
            last = patcher.take()
            if last:
                step(last)
    except MidstreamError as e:
        error = e
    lists = [ops for ops, _, _ in taken]
    # The operations taken earlier never changed later (their values are snapshots), and
    # replaying them gives every snapshot again.
    replay: Any = None
    for ops, ops_then, snapshot in taken:
        assert same(ops, ops_then)
        replay = apply_patch(replay, ops)
        assert same(replay, snapshot)
    # The document shares no container with the parser's live value.
    assert not containers(doc) & containers(p.value)
    # The form of the operations.
    flat = [op for ops in lists for op in ops]
    if flat:
        assert flat[0]["op"] == "add" and flat[0]["path"] == ""
    kinds = {"add", "append", "done"} if marks else {"add", "append"}
    assert {op["op"] for op in flat} <= kinds
    for ops in lists:
        # only the string open when the delta began can be appended to; the others are added
        assert sum(op["op"] == "append" for op in ops) <= 1, ops
    # patches() gives the same lists (and raises the same error after them).
    got: list[list[Op]] = []
    with pytest.raises(type(error)) if error else contextlib.nullcontext():
        got.extend(patches(deltas, marks=marks, **options))
    assert same(got, lists)
    if error is not None:
        raise error
    return doc, lists


def pointers(value: Any, path: str = "") -> dict[str, Any]:
    """Every value of a document by its JSON Pointer."""
    out = {path: value}
    if isinstance(value, dict):
        for k, v in value.items():
            out.update(pointers(v, f"{path}/{k.replace('~', '~0').replace('/', '~1')}"))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.update(pointers(v, f"{path}/{i}"))
    return out


def resolve(doc: Any, pointer: str) -> Any:
    for token in pointer.split("/")[1:] if pointer else []:
        token = token.replace("~1", "/").replace("~0", "~")
        doc = doc[int(token)] if isinstance(doc, list) else doc[token]
    return doc


# ---- random documents, random splits ------------------------------------------------------

KEYS = st.sampled_from(["a", "b", "", "~", "/", "a/b~0", "é", "😀", "__proto__"]) | st.text(max_size=4)
LONE = st.text(alphabet=st.sampled_from(["\ud800", "\udfff", "\ud83d", "\ude00", "a", "\\"]), max_size=6)


@st.composite
def texts(draw: st.DrawFn) -> str:
    """JSON texts json.dumps cannot make: repeated keys, lone surrogate escapes, any layout."""
    sep = draw(st.sampled_from([",", ", ", " ,\n"]))
    colon = draw(st.sampled_from([":", ": ", " :\t"]))
    ascii_only = draw(st.booleans())
    leaf = st.tuples(scalars, st.booleans()).map(lambda t: json.dumps(t[0], ensure_ascii=t[1] or ascii_only))
    leaf |= LONE.map(json.dumps)  # (escaped: a lone surrogate cannot be written as UTF-8)
    value = st.recursive(
        leaf,
        lambda kids: st.lists(kids, max_size=5).map(lambda xs: "[" + sep.join(xs) + "]")
        | st.lists(st.tuples(KEYS, kids), max_size=5).map(
            lambda kv: "{" + sep.join(json.dumps(k, ensure_ascii=ascii_only) + colon + v for k, v in kv) + "}"
        ),
        max_leaves=30,
    )
    return draw(value)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), text=documents() | texts(), as_bytes=st.booleans(), partial_strings=st.booleans())
def test_patches_rebuild_every_partial_value(
    data: st.DataObject, text: str, as_bytes: bool, partial_strings: bool
) -> None:
    raw: str | bytes = text.encode() if as_bytes else text
    deltas = data.draw(splits(raw))
    doc, _ = check_stream(deltas, partial_strings=partial_strings)
    assert same(doc, json.loads(text))


@settings(max_examples=100, deadline=None)
@given(data=st.data(), text=documents(), as_bytes=st.booleans(), partial_strings=st.booleans())
def test_marks_each_value_done_once_when_complete(
    data: st.DataObject, text: str, as_bytes: bool, partial_strings: bool
) -> None:
    raw: str | bytes = text.encode() if as_bytes else text
    doc, lists = check_stream(data.draw(splits(raw)), marks=True, partial_strings=partial_strings)
    final = json.loads(text)
    assert same(doc, final)
    every = pointers(final)
    done: list[str] = []
    # (documents() has no repeated keys: a value marked done is its final value)
    current: Any = None
    for ops in lists:
        for op in ops:
            current = apply_patch(current, [op])
            if op["op"] == "done":
                done.append(op["path"])
                assert same(resolve(current, op["path"]), every[op["path"]])
    assert sorted(done) == sorted(every) and len(done) == len(set(done))
    assert done[-1] == ""


@settings(max_examples=100, deadline=None)
@given(data=st.data(), text=documents() | texts())
def test_multiple_values_each_replace_the_root(data: st.DataObject, text: str) -> None:
    stream = f"{text} {text}\n{text}"
    doc, lists = check_stream(data.draw(splits(stream)), multiple=True)
    assert same(doc, json.loads(text))
    roots = [op for ops in lists for op in ops if op["path"] == "" and op["op"] == "add"]
    assert len(roots) == 3


@settings(max_examples=100, deadline=None)
@given(data=st.data(), text=documents() | texts())
def test_a_cut_stream_keeps_what_arrived(data: st.DataObject, text: str) -> None:
    cut = text[: data.draw(st.integers(0, len(text.rstrip()) - 1))]
    try:
        expected = json.loads(cut)  # ("12" cut to "1" is a JSON text)
    except ValueError:
        with pytest.raises(ParseError):  # (check_stream checked every step before the error)
            check_stream(data.draw(splits(cut)))
    else:
        assert same(check_stream(data.draw(splits(cut)))[0], expected)


def test_malformed_stream_yields_the_ops_before_the_error() -> None:
    lists = []
    with pytest.raises(ParseError, match="expected a value"):
        for ops in patches(['{"a": [1, "x', '", ]}']):
            lists.append(ops)
    assert len(lists) == 2
    assert apply_patch(None, [op for ops in lists for op in ops]) == {"a": [1, "x"]}


# ---- the recorded LLM streams --------------------------------------------------------------

CHANNELS = make_fixtures.corpus_channels()


def test_the_corpus_is_found() -> None:
    assert len(CHANNELS) == 111
    assert make_fixtures.streams_dir().name == "llm-streams"


@pytest.mark.parametrize(("name", "channel", "deltas"), CHANNELS, ids=[c[0] for c in CHANNELS])
def test_recorded_stream(name: str, channel: dict[str, Any], deltas: list[str]) -> None:
    text = "".join(deltas)
    for ds, options in [
        (deltas, {}),
        (deltas, {"marks": True}),
        (random_splits(text.encode(), name, 5), {}),
        (deltas, {"partial_strings": False}),
    ]:
        if channel["valid_json"]:
            doc, lists = check_stream(ds, **options)
            assert same(doc, json.loads(text))
            # O(delta): each value is added once, each character of a string sent once, and a
            # delta appends to one string at most
            flat = [op for ops in lists for op in ops]
            values = pointers(doc).values()
            assert sum(op["op"] == "add" for op in flat) == len(values)
            assert sum(op["op"] == "append" for op in flat) <= len(ds)
            sent = sum(len(op["value"]) for op in flat if isinstance(op.get("value"), str))
            assert sent == sum(len(v) for v in values if isinstance(v, str))
        else:
            with pytest.raises(ParseError):
                check_stream(ds, **options)


# ---- Patcher ---------------------------------------------------------------------------------


def test_patcher_take_and_coalescing() -> None:
    patcher = Patcher()
    p = Parser(on_event=patcher)
    assert patcher.take() == []
    p.feed('{"s": "ab')
    p.feed("cd")
    p.feed("\\u00e9f")
    # one add carrying all the text fed between two takes
    assert patcher.take() == [
        {"op": "add", "path": "", "value": {}},
        {"op": "add", "path": "/s", "value": "abcdéf"},
    ]
    p.feed("g")
    p.feed("h")
    assert patcher.take() == [{"op": "append", "path": "/s", "value": "gh"}]
    assert patcher.take() == []
    p.feed('", "t": [{}, "x"]}')
    ops = patcher.take()
    assert ops == [
        {"op": "add", "path": "/t", "value": []},
        {"op": "add", "path": "/t/0", "value": {}},
        {"op": "add", "path": "/t/1", "value": "x"},
    ]
    # containers in operations are fresh: never the parser's live ones
    assert ops[0]["value"] is not p.value["t"] and ops[1]["value"] is not p.value["t"][0]
    assert ops[0]["value"] == [] and p.value["t"] == [{}, "x"]


def test_patcher_alongside_other_consumers() -> None:
    seen: list[Any] = []
    patcher = Patcher(marks=True)
    p = Parser(on_event=[seen.append, patcher])
    p.feed("[1, 2]")
    assert len(seen) == 5 and p.events is not None
    assert patcher.take() == [
        {"op": "add", "path": "", "value": []},
        {"op": "add", "path": "/0", "value": 1},
        {"op": "done", "path": "/0"},
        {"op": "add", "path": "/1", "value": 2},
        {"op": "done", "path": "/1"},
        {"op": "done", "path": ""},
    ]


def test_a_top_level_number_arrives_with_the_end_of_input() -> None:
    assert list(patches(["12", "3"])) == [[], [], [{"op": "add", "path": "", "value": 123}]]
    assert list(patches(["12", "3 "])) == [[], [{"op": "add", "path": "", "value": 123}]]
    got: list[list[Op]] = []
    with pytest.raises(IncompleteJSONError):  # (no value at all)
        got.extend(patches(["  "]))
    assert got == [[]]


def test_the_name_patches_is_the_function_whatever_is_imported_first() -> None:
    code = (
        "from midstream.patches import Patcher; import midstream, midstream.patches; "
        "print(midstream.patches.__name__, callable(midstream.patches))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["patches", "True"], out.stderr


def test_async_twins() -> None:
    async def agen(items: list[str]) -> AsyncIterator[str]:
        for x in items:
            yield x

    async def run() -> tuple[list[list[Op]], str]:
        lists = [ops async for ops in apatches(agen(['{"a": "b', 'c"}']), marks=True)]
        frames = "".join([f async for f in apatches_sse(agen(['[1, "x', "]"]))])
        return lists, frames

    lists, frames = asyncio.run(run())
    assert lists == list(patches(['{"a": "b', 'c"}'], marks=True))
    assert frames == "".join(patches_sse(['[1, "x', "]"]))


# ---- apply_patch -----------------------------------------------------------------------------


def test_apply_patch_rfc6902_add_and_replace() -> None:
    # RFC 6902 appendix A.1, A.2, A.5, A.10, A.16 and the root
    assert apply_patch({"foo": "bar"}, [{"op": "add", "path": "/baz", "value": "qux"}]) == {"foo": "bar", "baz": "qux"}
    assert apply_patch({"foo": ["bar", "baz"]}, [{"op": "add", "path": "/foo/1", "value": "qux"}]) == {"foo": ["bar", "qux", "baz"]}
    assert apply_patch({"baz": "qux", "foo": "bar"}, [{"op": "replace", "path": "/baz", "value": "boo"}]) == {"baz": "boo", "foo": "bar"}
    assert apply_patch({"foo": "bar"}, [{"op": "add", "path": "/child", "value": {"grandchild": {}}}]) == {"foo": "bar", "child": {"grandchild": {}}}
    assert apply_patch({"foo": ["bar"]}, [{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}]) == {"foo": ["bar", ["abc", "def"]]}
    assert apply_patch([1], [{"op": "add", "path": "/1", "value": 2}, {"op": "add", "path": "/0", "value": 0}]) == [0, 1, 2]
    assert apply_patch({"a": 1}, [{"op": "replace", "path": "", "value": [1]}]) == [1]
    assert apply_patch(None, [{"op": "add", "path": "", "value": None}]) is None
    doc = {"a": 1, "b": 2}
    assert list(apply_patch(doc, [{"op": "add", "path": "/a", "value": 3}])) == ["a", "b"]  # in place
    assert doc == {"a": 3, "b": 2}


def test_apply_patch_append_done_and_escapes() -> None:
    doc = apply_patch(None, [
        {"op": "add", "path": "", "value": {}},
        {"op": "add", "path": "/a~1b", "value": {"~": ["x"]}},
        {"op": "append", "path": "/a~1b/~0/0", "value": "yz"},
        {"op": "add", "path": "/", "value": ""},
        {"op": "append", "path": "/", "value": "é😀"},
        {"op": "done", "path": "/a~1b", "valid": True},
        {"op": "done", "path": "/not/there"},
    ])
    assert doc == {"a/b": {"~": ["xyz"]}, "": "é😀"}
    assert apply_patch("ab", [{"op": "append", "path": "", "value": "c"}]) == "abc"


def test_apply_patch_copies_values() -> None:
    ops = [{"op": "add", "path": "", "value": {"l": []}}, {"op": "add", "path": "/l/0", "value": 1}]
    one, two = apply_patch(None, ops), apply_patch(None, ops)
    assert one == two == {"l": [1]} and ops[0]["value"] == {"l": []}


def test_append_extends_a_long_string_in_linear_time() -> None:
    # (CPython extends a string in place only when nothing else holds it: apply_patch lets go)
    import time

    def run(n: int) -> float:
        doc = apply_patch(None, [{"op": "add", "path": "", "value": {"s": ""}}])
        op = {"op": "append", "path": "/s", "value": "abcd"}
        t = time.perf_counter()
        for _ in range(n):
            apply_patch(doc, [op])
        assert len(doc["s"]) == 4 * n
        return time.perf_counter() - t

    small, big = min(run(10_000) for _ in range(3)), min(run(100_000) for _ in range(3))
    assert big < 30 * small  # linear: ~10x; quadratic would be ~100x


@pytest.mark.parametrize(
    ("doc", "op", "message"),
    [
        ({"a": 1}, {"op": "add", "path": "a", "value": 1}, "starts with '/'"),
        ({"a": 1}, {"op": "add", "path": "/b/c", "value": 1}, "no member 'b'"),
        ({"a": 1}, {"op": "replace", "path": "/b", "value": 1}, "no member 'b'"),
        ({"a": 1}, {"op": "append", "path": "/a", "value": "x"}, "not a string"),
        ({"a": "s"}, {"op": "append", "path": "/a", "value": 1}, "needs a string value"),
        ({"a": "s"}, {"op": "append", "path": "/b", "value": "x"}, "no member 'b'"),
        ({"a": 1}, {"op": "remove", "path": "/a"}, "unsupported operation 'remove'"),
        ({"a": 1}, {"op": "add", "path": "/a"}, "needs a 'value'"),
        ({"a": 1}, {"path": "/a", "value": 1}, "'op' and 'path'"),
        ({"a": 1}, "add", "'op' and 'path'"),
        ([1], {"op": "add", "path": "/2", "value": 1}, "out of range"),
        ([1], {"op": "add", "path": "/01", "value": 1}, "not an array index"),
        ([1], {"op": "add", "path": "/+0", "value": 1}, "not an array index"),
        ([1], {"op": "replace", "path": "/-", "value": 1}, "not an array index"),
        ([1], {"op": "replace", "path": "/1", "value": 1}, "out of range"),
        ([[1]], {"op": "add", "path": "/1/0", "value": 1}, "out of range"),
        ({"a": 1}, {"op": "add", "path": "/a/b", "value": 1}, "not a container"),
        ({"a": 1}, {"op": "add", "path": "/a/b/c", "value": 1}, "not a container"),
        ({"a": 1}, {"op": "add", "path": "/a~2", "value": 1}, "escape"),
        (None, {"op": "add", "path": "/a", "value": 1}, "not a container"),
        (1, {"op": "append", "path": "", "value": "x"}, "not a string"),
        ({"a": 1}, {"op": "add", "path": 7, "value": 1}, "JSON Pointer"),
    ],
)
def test_apply_patch_errors(doc: Any, op: Any, message: str) -> None:
    before = copy.deepcopy(doc)
    with pytest.raises(PatchError, match=message) as info:
        apply_patch(doc, [{"op": "done", "path": ""}, op])
    e = info.value
    assert isinstance(e, MidstreamError) and isinstance(e, ValueError)
    assert e.index == 1 and e.op is op and e.partial == before and message in e.msg
    back = pickle.loads(pickle.dumps(e))
    assert (str(back), back.index, back.op) == (str(e), 1, op)


def test_patch_error_keeps_the_ops_applied_before() -> None:
    with pytest.raises(PatchError) as info:
        apply_patch(None, [{"op": "add", "path": "", "value": []}, {"op": "add", "path": "/0", "value": 1}, {"op": "add", "path": "/5", "value": 2}])
    assert info.value.partial == [1] and info.value.index == 2
    assert midstream.PatchError is PatchError


# ---- on the wire -----------------------------------------------------------------------------


def parse_sse(text: str) -> list[tuple[str, str]]:
    """``(event, data)`` of each frame (the frames patches_sse writes: LF, one data line)."""
    assert text.endswith("\n\n")
    out = []
    for frame in text[:-2].split("\n\n"):
        lines = frame.split("\n")
        event = lines.pop(0)[7:] if lines[0].startswith("event: ") else "message"
        [data] = lines
        assert data.startswith("data: ")
        out.append((event, data[6:]))
    return out


def test_patches_sse_frames() -> None:
    deltas = ['{"a": "x', "", 'y", "b": [', "1, 2]}"]
    frames = parse_sse("".join(patches_sse(deltas)))
    assert [e for e, _ in frames] == ["message"] * 3 + ["done"]
    assert [json.loads(d) for _, d in frames[:-1]] == [ops for ops in patches(deltas) if ops]
    assert frames[-1][1] == "{}"


@pytest.mark.parametrize(
    ("deltas", "error"),
    [(['{"a": [1', ",]}"], "ParseError"), (['{"a": "x'], "IncompleteJSONError"), (["[1] 2"], "ParseError")],
)
def test_patches_sse_error_event(deltas: list[str], error: str) -> None:
    frames = parse_sse("".join(patches_sse(deltas)))
    event, data = frames[-1]
    info = json.loads(data)
    assert event == "error" and info["type"] == error and info["message"]
    assert {"offset", "line", "column"} <= set(info)
    doc = None
    for _, d in frames[:-1]:
        doc = apply_patch(doc, json.loads(d))
    p = Parser()
    with pytest.raises(ParseError):
        for d in deltas:
            p.feed(d)
        p.close()
    assert doc == p.value


@settings(max_examples=200, deadline=None)
@given(values=st.lists(scalars | LONE | st.sampled_from([math.inf, -math.inf, {}, [], {"a": [1]}]), max_size=4))
def test_ops_json_is_the_json_of_the_ops(values: list[Any]) -> None:
    ops = [{"op": "add", "path": f"/{i}", "value": v} for i, v in enumerate(values)] + [{"op": "done", "path": ""}]
    text = ops_json(ops)
    text.encode()  # (UTF-8 can carry it)
    assert same(json.loads(text), ops)


def test_ops_json_writes_what_utf8_and_json_parse_carry() -> None:
    ops = [{"op": "add", "path": "/é", "value": "東京 😀"}]
    assert ops_json(ops) == '[{"op":"add","path":"/é","value":"東京 😀"}]'
    lone = [{"op": "append", "path": "/a", "value": "x\ud800"}]
    text = ops_json(lone)
    assert text.isascii() and json.loads(text) == lone
    inf = [{"op": "add", "path": "/0", "value": math.inf}, {"op": "add", "path": "/1", "value": -math.inf}]
    text = ops_json(inf)
    assert "1e400" in text and json.loads(text) == inf
    assert json.loads(ops_json([{"op": "done", "path": "", "valid": True}]))[0]["valid"] is True
    with pytest.raises(ValueError):
        ops_json([{"op": "add", "path": "", "value": [math.inf]}])  # only scalars are patched
    # the parser's 1e400 travels as such
    frames = parse_sse("".join(patches_sse(['{"n": 1e400, "s": "\\udc00"}'])))
    assert json.loads(frames[0][1])[1]["value"] == math.inf


# ---- the JavaScript module -------------------------------------------------------------------


def test_committed_js_fixtures_are_up_to_date(engine: str) -> None:
    # (made with the engine under test: both engines must make the same operations)
    fresh = make_fixtures.dump(make_fixtures.fixtures(engine=engine))
    committed = make_fixtures.COMMITTED.read_text("utf-8")
    assert committed == fresh, "run: python -m tests.js.make_fixtures"


def test_the_js_module_in_node(engine: str, tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node, "node (the JavaScript tests of src/midstream/static/midstream.js) is not installed"
    fixtures = tmp_path / "patches.json"
    fixtures.write_text(make_fixtures.dump(make_fixtures.fixtures(every_channel=True, engine=engine)), "utf-8")
    out = subprocess.run(
        [node, "--test", "tests/js/"],
        cwd=ROOT,
        env={**os.environ, "MIDSTREAM_PATCH_FIXTURES": str(fixtures)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "# fail 0" in out.stdout and "# pass " in out.stdout


def test_the_readme_patch_example_prints_what_it_says() -> None:
    import io
    import re

    text = (ROOT / "README.md").read_text("utf-8")
    section = text[text.index("### Patches") :]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    block = code.group(1)
    expected = [line.removeprefix("# ") for line in block.splitlines() if line.startswith("# [")]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, "README.md", "exec"), {})
    assert out.getvalue().splitlines() == expected and len(expected) == 3


def test_module_doctests() -> None:
    import doctest

    assert doctest.testmod(sys.modules["midstream.patches"]).failed == 0
