"""midstream.web: the relay from an LLM stream to the browser.

* ``ValuePatcher`` (operations from a growing value) against the parser, the oracle: after every
  delta the operations rebuild ``Parser.value`` exactly; at the end ``json.loads``; every value
  is marked ``done`` once, never before it is complete; repeated keys end right.
* ``Outbox``: merged operations build the same documents; the byte estimate; the bound.
* ``PatchStream``: the three kinds of source, channels, errors and their event data.
* The ASGI response, driven directly (a ``send`` that is slow or never returns, a ``receive``
  that says the client left) and through uvicorn on 127.0.0.1 (real sockets).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import gc
import itertools
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Any

import anyio
import httpx
import pytest
import uvicorn
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from examples.relay_app import (
    Party,
    Replay,
    StrictParty,
    create_app,
    recorded_payloads,
    source_text,
)
from midstream import (
    IncompleteJSONError,
    ParseError,
    Parser,
    StreamValidationError,
    apply_patch,
    aupdates,
    patches,
    updates,
)
from midstream.integrations.updates import IncompleteStreamError
from midstream.patches import ops_json
from midstream.web import (
    Outbox,
    PatchStream,
    PatchStreamResponse,
    RelayStats,
    ValuePatcher,
    error_info,
    sse_response,
)
from midstream.web.outbox import op_size
from support.corpus import random_splits
from tests.strategies import documents, splits

Op = dict[str, Any]


# -- helpers (also used by test_browser.py and test_load.py) -----------------------------------


def same(a: Any, b: Any) -> bool:
    """Equal as JSON values, strictly: types, key order."""
    return json.dumps(a) == json.dumps(b)


def is_prefix(a: Any, b: Any) -> bool:
    """``a`` is a partial value of ``b`` (the partial-value contract: complete members equal,
    the last one a prefix, strings extended)."""
    if a is None:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, str):
        return b.startswith(a)
    if isinstance(a, list):
        if len(a) > len(b):
            return False
        return all(x == y for x, y in zip(a[:-1], b, strict=False)) and (
            not a or is_prefix(a[-1], b[len(a) - 1])
        )
    if isinstance(a, dict):
        ka, kb = list(a), list(b)
        if ka != kb[: len(ka)]:
            return False
        return all(a[k] == b[k] for k in ka[:-1]) and (not ka or is_prefix(a[ka[-1]], b[ka[-1]]))
    return bool(a == b)


def snapshot_relay_bytes(ups: Iterable[Any]) -> int:
    """What relaying the whole value after every update would send (one SSE event each)."""
    total = 0
    for u in ups:
        if u.value is not None:
            total += len(b"data: \n\n") + len(json.dumps(u.value, separators=(",", ":"), ensure_ascii=False).encode())
        if u.done:
            break
    return total


@contextlib.contextmanager
def serving(app: Any, **config: Any) -> Iterator[str]:
    """``app`` served by uvicorn on 127.0.0.1 (a free port) in a thread: its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", **config))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(20)
        sock.close()


def parse_sse(body: bytes) -> list[tuple[str, str]]:
    """(event type, data) of each event of a body; comments as ("comment", text)."""
    out = []
    for block in body.decode("utf-8").split("\n\n"):
        if not block:
            continue
        kind, data = "message", []
        for line in block.split("\n"):
            if line.startswith(":"):
                out.append(("comment", line[1:].strip()))
            elif line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                data.append(line[6:])
        if data:
            out.append((kind, "\n".join(data)))
    return out


def rebuild(events: list[tuple[str, str]]) -> tuple[Any, list[Op]]:
    """The document the patch events build, and all their operations."""
    doc: Any = None
    every: list[Op] = []
    for kind, data in events:
        if kind == "message":
            ops = json.loads(data)
            every += ops
            doc = apply_patch(doc, ops)
    return doc, every


def demo() -> tuple[list[dict[str, Any]], Any]:
    payloads = recorded_payloads()
    return payloads, json.loads(source_text(payloads))


# -- ValuePatcher ------------------------------------------------------------------------------


def check_value_patcher(parts: list[Any], final: Any, **options: Any) -> list[Op]:
    """Feed ``parts`` to a parser; diff its value after each; check the operations rebuild it,
    and that each ``done`` comes once, when its value is complete."""
    p = Parser(**options)
    vp = ValuePatcher()
    doc: Any = None
    every: list[Op] = []
    marked: dict[str, Any] = {}

    def apply(ops: list[Op]) -> None:
        nonlocal doc
        before = copy.deepcopy(ops)
        doc = apply_patch(doc, ops)
        assert ops == before  # (applying changes no operation)
        every.extend(ops)
        for op in ops:
            if op["op"] == "done":
                assert op["path"] not in marked, f"marked twice: {op}"
                marked[op["path"]] = copy.deepcopy(resolve(doc, op["path"]))

    for part in parts:
        p.feed(part)
        apply(vp.diff(p.value))
        assert same(doc, p.value), (parts, doc, p.value)
    result = p.close()
    apply(vp.finish(result))
    assert same(doc, final)
    # every value marked once, with its final value (never before it was complete)
    for ptr, value in marked.items():
        assert same(value, resolve(final, ptr)), (ptr, value)
    assert set(marked) == set(pointers(final))
    return every


def resolve(doc: Any, ptr: str) -> Any:
    for raw in ptr.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        doc = doc[int(token)] if isinstance(doc, list) else doc[token]
    return doc


def pointers(value: Any, base: str = "") -> Iterator[str]:
    yield base
    if isinstance(value, dict):
        for k, v in value.items():
            yield from pointers(v, f"{base}/{k.replace('~', '~0').replace('/', '~1')}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from pointers(v, f"{base}/{i}")


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_value_patcher_rebuilds_every_partial_value(data: st.DataObject) -> None:
    text = data.draw(documents())
    parts = data.draw(splits(text))
    check_value_patcher(parts, json.loads(text))


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_value_patcher_bytes_and_no_partial_strings(data: st.DataObject) -> None:
    text = data.draw(documents())
    raw = text.encode()
    parts = data.draw(splits(raw))
    check_value_patcher(parts, json.loads(text))
    check_value_patcher(data.draw(splits(text)), json.loads(text), partial_strings=False)


def test_value_patcher_sends_each_character_once() -> None:
    text = json.dumps({"a": "x" * 500, "b": [{"c": "y" * 300}, 1, [2, "zz"]], "é/~": "ü" * 40})
    every = check_value_patcher(random_splits(text, "once"), json.loads(text))
    sent = sum(len(op["value"]) for op in every if isinstance(op.get("value"), str))
    assert sent == 500 + 300 + 2 + 40
    assert {op["path"] for op in every} >= {"/é~1~0", "/b/2/1"}


@pytest.mark.parametrize(
    "text",
    [
        '{"a": "xy", "a": "zwq"}',
        '{"a": 1, "b": "x", "a": {"c": [1, "u"]}}',
        '{"k": {"a": "s", "a": "t"}, "z": 1}',
        '["x", {"a": "p", "b": 2, "a": "qq"}, 3]',
        '{"a": {"x": "1"}, "b": 0, "a": "long text replacing an object"}',
        '{"a": "", "a": ""}',
        '{"s": "abc", "s": "abcdef"}',
    ],
)
def test_value_patcher_repeated_keys(text: str) -> None:
    """A repeated key changes a value off the spine: sent again when its object is complete."""
    final = json.loads(text)
    for seed in range(40):
        parts = random_splits(text, seed, 4)
        p = Parser()
        vp = ValuePatcher()
        doc: Any = None
        for part in parts:
            p.feed(part)
            doc = apply_patch(doc, vp.diff(p.value))
        doc = apply_patch(doc, vp.finish(p.close()))
        assert same(doc, final), (parts, doc)


def test_value_patcher_validated_marks_and_misuse() -> None:
    vp = ValuePatcher()
    live: dict[str, Any] = {"a": "x"}
    assert vp.diff(live) == [{"op": "add", "path": "", "value": {}}, {"op": "add", "path": "/a", "value": "x"}]
    # a part validated while it is still the last one: marked at once, never again
    assert vp.diff(live, ["/a"]) == [{"op": "done", "path": "/a", "valid": True}]
    live["b"] = [1]
    assert vp.diff(live) == [
        {"op": "add", "path": "/b", "value": []},
        {"op": "add", "path": "/b/0", "value": 1},
        {"op": "done", "path": "/b/0"},
    ]
    assert vp.open_pointer == "/b"
    assert vp.diff(live, ["/b", ""]) == [
        {"op": "done", "path": "/b", "valid": True},
        {"op": "done", "path": "", "valid": True},
    ]
    assert vp.finish() == []
    with pytest.raises(ValueError):
        vp.diff(live)
    other = ValuePatcher()
    other.diff({"a": 1})
    with pytest.raises(ValueError, match="live"):
        other.diff({"a": 1})  # a copy, not the live value
    quiet = ValuePatcher(marks=False)
    assert quiet.diff("ab") == [{"op": "add", "path": "", "value": "ab"}]
    assert quiet.diff("abc", [""]) == [{"op": "append", "path": "", "value": "c"}]
    assert quiet.finish() == []


def test_value_patcher_does_not_hold_the_open_string() -> None:
    """The parser extends its open string in place only while nothing else holds it."""
    import sys

    p = Parser()
    vp = ValuePatcher()
    for piece in ('{"a": ["' + "x" * 10, "y" * 10, "z" * 10):
        p.feed(piece)
        before = sys.getrefcount(p.value["a"][0])  # (the engine's own references, if any)
        ops = vp.diff(p.value)
        del ops  # (sent: the caller's to drop)
        after = sys.getrefcount(p.value["a"][0])  # (outside the assert: its rewriting holds values)
        assert after == before  # the patcher keeps none


def test_value_patcher_on_recorded_stream_with_model() -> None:
    """Through updates(model=...): validated parts are marked valid the moment they close."""
    payloads, source = demo()
    ps = PatchStream()
    doc: Any = None
    valid, done = set(), set()
    for u in updates(payloads, model=Party):
        ops = ps.feed(u)
        doc = apply_patch(doc, ops)
        if u.value is not None:
            assert same(doc, u.value)
        for op in ops:
            if op["op"] == "done":
                done.add(op["path"])
                if op.get("valid"):
                    valid.add(op["path"])
        if ps.complete:
            break
    assert doc == source
    assert done == set(pointers(source))  # every part marked complete
    # validated: every object and array the model judged as it closed (ModelParser reports
    # containers; a leaf is judged with its container), the whole document last
    containers = {p for p in pointers(source) if isinstance(resolve(source, p), (dict, list))}
    assert valid == containers


# -- Outbox ------------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_outbox_merged_operations_build_the_same_documents(data: st.DataObject) -> None:
    text = data.draw(documents())
    parts = data.draw(splits(text))
    lists = list(patches(parts, marks=True))
    expected: Any = None
    got: Any = None
    box = Outbox(limit=1 << 30)
    for ops in lists:
        expected = apply_patch(expected, copy.deepcopy(ops))
        assert box.put(ops)
        if data.draw(st.booleans()):
            got = apply_patch(got, box.take())
            assert same(got, expected)
    got = apply_patch(got, box.take())
    assert same(got, json.loads(text))
    assert not box and box.size == 0


def test_outbox_merges_appends_and_estimates_bytes() -> None:
    payloads, source = demo()
    text = source_text(payloads)
    lists = list(patches(random_splits(text, 3, 4), marks=True))
    box = Outbox(limit=1 << 30)
    for ops in lists:
        box.put(ops)
    estimate = box.size
    merged = box.take()
    assert apply_patch(None, merged) == source
    actual = len(ops_json(merged).encode())
    assert 0.97 < estimate / actual < 1.03, (estimate, actual)
    # one operation per value (appends joined into their adds) plus a done per value
    assert len(merged) == 2 * len(list(pointers(source)))
    assert box.merged > 100
    # each operation's estimate, alone
    for op in merged[:20]:
        n = len(ops_json([op]).encode())
        assert op_size(op) == n - 1, (op, op_size(op), n)  # (n: with the list's brackets, less a comma)


def test_outbox_bound_and_replacements() -> None:
    box = Outbox(limit=100)
    assert box.put([{"op": "add", "path": "/s", "value": "a"}])
    assert not box.put([{"op": "append", "path": "/s", "value": "b" * 200}])
    assert box.size > 100 and box.peak == box.size
    box.clear()
    assert not box and box.size == 0
    # an add at a path with a waiting string: the old text is kept, later appends go to the new
    box = Outbox(limit=1000)
    box.put([{"op": "add", "path": "/a", "value": "x"}, {"op": "append", "path": "/a", "value": "y"}])
    box.put([{"op": "add", "path": "/a", "value": 5}, {"op": "add", "path": "", "value": {"a": "q"}}])
    box.put([{"op": "append", "path": "/a", "value": "r"}])
    assert box.take() == [
        {"op": "add", "path": "/a", "value": "xy"},
        {"op": "add", "path": "/a", "value": 5},
        {"op": "add", "path": "", "value": {"a": "q"}},
        {"op": "append", "path": "/a", "value": "r"},
    ]


# -- PatchStream and the event data --------------------------------------------------------------


def test_patch_stream_kinds() -> None:
    text = '{"a": [1, "two"], "b": {"c": null}}'
    final = json.loads(text)
    # text deltas: the parser and the Patcher (exact events)
    ps = PatchStream()
    doc: Any = None
    for part in random_splits(text, 1):
        doc = apply_patch(doc, ps.feed(part))
    doc = apply_patch(doc, ps.close())
    assert doc == final and ps.complete
    # lists of operations: as they are (copies)
    ps = PatchStream()
    lists = list(patches(random_splits(text, 2)))
    doc = None
    for ops in lists:
        got = ps.feed(ops)
        assert got == ops and all(a is not b for a, b in zip(got, ops, strict=True))
        doc = apply_patch(doc, got)
    assert doc == final
    with pytest.raises(TypeError):
        PatchStream().feed(42)
    ps = PatchStream()
    ps.feed("[1")
    with pytest.raises(TypeError):
        ps.feed([{"op": "done", "path": ""}])


def test_patch_stream_text_error_keeps_what_came_before() -> None:
    ps = PatchStream()
    doc = apply_patch(None, ps.feed('{"a": "b'))
    with pytest.raises(ParseError) as info:
        ps.feed('c", ]')
    doc = apply_patch(doc, ps.failed(info.value))
    assert doc == {"a": "bc"}
    data = error_info(info.value, ps.open_pointer)
    assert data["type"] == "ParseError" and data["offset"] == 12 and data["line"] == 1
    ps = PatchStream()
    ps.feed('{"a": [1, 2')
    with pytest.raises(IncompleteJSONError):
        ps.close()


def test_patch_stream_picks_a_channel() -> None:
    """Parallel tool calls: the first channel whose value begins, or the one asked for."""
    payloads = [
        {"type": "message_start", "message": {"id": "m", "model": "x", "role": "assistant", "content": []}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use", "id": "t0", "name": "first", "input": {}}},
        {"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "t1", "name": "second", "input": {}}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": '{"b": [1'}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": '{"a": "x'}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": ", 2]}"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": 'y"}'}},
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_stop", "index": 1},
        {"type": "message_delta", "delta": {"stop_reason": "tool_use"}},
        {"type": "message_stop"},
    ]
    for pick, expected in ((None, {"b": [1, 2]}), (lambda ch: ch.name == "first", {"a": "xy"})):
        ps = PatchStream(channel=pick)
        doc: Any = None
        for u in updates(payloads):
            doc = apply_patch(doc, ps.feed(u))
            if ps.complete:
                break
        assert doc == expected and ps.complete


def test_error_info() -> None:
    payloads, _ = demo()
    with pytest.raises(StreamValidationError) as v:
        for _ in updates(payloads, model=StrictParty):
            pass
    data = error_info(v.value, "/ignored")
    assert data["path"] == "/characters/2/class"
    assert data["errors"][0]["loc"] == ["characters", 2, "class"]
    assert json.dumps(data)
    cut = [p for p in payloads if p.get("type") != "message_stop"][:40]
    with pytest.raises(IncompleteStreamError) as c:
        for _ in updates(cut, model=Party):
            pass
    data = error_info(c.value, "/characters/0/description")
    assert data["type"] == "IncompleteStreamError" and data["path"] == "/characters/0/description"
    assert "offset" in data and "line" not in data
    data = error_info(RuntimeError("secret https://key@host"), "/x")
    assert data == {"type": "RuntimeError", "message": "the upstream stream failed", "path": "/x"}


# -- the ASGI response, driven directly -----------------------------------------------------------


class Client:
    """An ASGI client for one response: ``send`` collects the body (``gate`` holds it back,
    ``fail_after`` makes it raise OSError), ``receive`` says the client left once ``leave`` is
    set."""

    def __init__(self, gate: anyio.Event | None = None, fail_after: int | None = None) -> None:
        self.body = bytearray()
        self.chunks = 0
        self.status = 0
        self.complete = False
        self.gate = gate
        self.fail_after = fail_after
        self.leave = anyio.Event()
        self.sent: list[float] = []

    async def receive(self) -> dict[str, Any]:
        if not hasattr(self, "_asked"):
            self._asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self.leave.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        if self.fail_after is not None and self.fail_after < 0:
            raise OSError("the client went away")
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = dict(message["headers"])
            return
        if self.fail_after is not None and self.chunks >= self.fail_after:
            raise OSError("the client went away")
        if self.gate is not None:
            await self.gate.wait()
        self.body += message["body"]
        self.chunks += 1
        self.sent.append(time.monotonic())
        if not message.get("more_body", False):
            self.complete = True

    def events(self) -> list[tuple[str, str]]:
        return parse_sse(bytes(self.body))

    async def run(self, response: Response) -> None:
        scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "method": "GET"}
        await response(scope, self.receive, self.send)  # type: ignore[arg-type]


class Upstream:
    """An upstream that says what was read from it and when it was closed: items after
    ``delay`` seconds each (an async or a sync generator)."""

    def __init__(self, items: list[Any], delay: float = 0.0, fail: BaseException | None = None) -> None:
        self.items = items
        self.delay = delay
        self.fail = fail
        self.read = 0
        self.times: list[float] = []
        self.closed_at: float | None = None

    async def agen(self) -> AsyncIterator[Any]:
        try:
            for item in self.items:
                if self.delay:
                    await anyio.sleep(self.delay)
                self.read += 1
                self.times.append(time.monotonic())
                yield item
            if self.fail is not None:
                raise self.fail
        finally:
            self.closed_at = time.monotonic()

    def gen(self) -> Iterator[Any]:
        try:
            for item in self.items:
                if self.delay:
                    time.sleep(self.delay)
                self.read += 1
                self.times.append(time.monotonic())
                yield item
            if self.fail is not None:
                raise self.fail
        finally:
            self.closed_at = time.monotonic()


def run(main: Callable[[], Awaitable[Any]]) -> Any:
    return anyio.run(main)


@pytest.mark.parametrize("kind", ["aupdates", "updates", "async text", "sync text", "ops"])
def test_response_relays_each_kind_of_source(kind: str) -> None:
    payloads, source = demo()
    text = source_text(payloads)
    stats: list[RelayStats] = []

    def make() -> Any:
        if kind == "aupdates":
            return aupdates(Upstream(payloads).agen(), model=Party)
        if kind == "updates":
            return updates(Upstream(payloads).gen(), model=Party)
        if kind == "async text":
            return Upstream(random_splits(text, 5)).agen()
        if kind == "sync text":
            return Upstream(random_splits(text, 5)).gen()
        return iter(list(patches(random_splits(text, 5), marks=True)))

    async def main() -> Client:
        client = Client()
        await client.run(sse_response(make(), on_close=stats.append, start={"id": 7}))
        return client

    client = run(main)
    events = client.events()
    assert client.status == 200 and client.complete
    assert client.headers[b"content-type"] == b"text/event-stream; charset=utf-8"
    assert client.headers[b"cache-control"] == b"no-cache"
    assert events[0] == ("start", '{"v":1,"id":7}')
    assert events[-1][0] == "done"
    doc, ops = rebuild(events)
    assert doc == source
    assert {op["path"] for op in ops if op["op"] == "done"} == set(pointers(source))
    (s,) = stats
    assert s.outcome == "done" and s.bytes == len(client.body) and s.events == len(events) - 2
    assert s.ops == len(ops) and s.error is None


def test_response_events_for_failures() -> None:
    payloads, source = demo()

    async def relay(src: Any, **kw: Any) -> tuple[list[tuple[str, str]], RelayStats]:
        client = Client()
        response = sse_response(src, **kw)
        await client.run(response)
        assert client.complete
        return client.events(), response.stats

    async def main() -> None:
        # validation: the error event names the field; the upstream was closed at once
        up = Upstream(payloads)
        events, stats = await relay(aupdates(up.agen(), model=StrictParty))
        kind, data = events[-1]
        info = json.loads(data)
        assert kind == "error" and info["type"] == "StreamValidationError"
        assert info["path"] == "/characters/2/class" and stats.outcome == "error"
        assert up.closed_at is not None and up.read < len(payloads)
        doc, _ = rebuild(events)
        assert is_prefix(doc, source)
        assert doc["characters"][2]["class"] == "thief"  # (the value that failed is shown)
        # a stream cut short (max_tokens): where it stopped, and why
        cut = [p for p in payloads if p.get("type") not in ("content_block_stop", "message_stop")][:60]
        cut.append({"type": "message_delta", "delta": {"stop_reason": "max_tokens"}, "usage": {"output_tokens": 1}})
        events, stats = await relay(aupdates(Upstream(cut).agen(), model=Party))
        info = json.loads(events[-1][1])
        doc, _ = rebuild(events)
        assert info["type"] == "IncompleteStreamError" and info["stop_reason"] == "max_tokens"
        assert info["path"] == resolve_last(doc)
        # malformed text
        events, stats = await relay(Upstream(['{"a": [1, 2', "}"]).agen())
        info = json.loads(events[-1][1])
        assert info["type"] == "ParseError" and info["path"] == "/a"
        assert rebuild(events)[0] == {"a": [1, 2]}
        # text that ends early
        events, _ = await relay(Upstream(['{"a": "xy']).agen())
        assert json.loads(events[-1][1])["type"] == "IncompleteJSONError"
        # the upstream itself fails: its type, not its message
        up = Upstream(['{"a": 1'], fail=ConnectionResetError("https://secret@host"))
        events, stats = await relay(up.agen())
        info = json.loads(events[-1][1])
        assert info == {"type": "ConnectionResetError", "message": "the upstream stream failed", "path": ""}
        assert stats.error == "ConnectionResetError"
        # a sync upstream failing, in its thread
        up = Upstream(["[1,", "2"], fail=RuntimeError("x"))
        events, _ = await relay(up.gen())
        assert json.loads(events[-1][1])["type"] == "RuntimeError"
        assert rebuild(events)[0] == [1]

    run(main)


def resolve_last(doc: Any) -> str:
    """The pointer of the innermost last value."""
    ptr = ""
    while isinstance(doc, (dict, list)) and doc:
        key = list(doc)[-1] if isinstance(doc, dict) else len(doc) - 1
        ptr += f"/{key}"
        doc = doc[key]
    return ptr


@pytest.mark.parametrize("sync", [False, True])
def test_disconnect_closes_the_upstream_within_one_event(sync: bool) -> None:
    payloads, _ = demo()
    up = Upstream(payloads, delay=0.01)
    stats: list[RelayStats] = []

    async def main() -> Client:
        client = Client()
        src = updates(up.gen(), model=Party) if sync else aupdates(up.agen(), model=Party)
        response = sse_response(src, on_close=stats.append)

        async def leave() -> None:
            while client.chunks < 12:
                await anyio.sleep(0.002)
            client.leave.set()

        async with anyio.create_task_group() as tg:
            tg.start_soon(leave)
            with anyio.fail_after(10):
                await client.run(response)
        return client

    client = run(main)
    (s,) = stats
    assert s.outcome == "disconnected" and not client.complete
    assert s.upstream_closed and up.closed_at is not None
    assert s.disconnected_at is not None
    after = sum(1 for t in up.times if t > s.disconnected_at)
    assert after <= 1, after
    assert up.read < len(payloads) // 2


@pytest.mark.parametrize("fail_after", [5, 0, -1])
def test_send_failing_closes_the_upstream(fail_after: int) -> None:
    """The client is gone when the relay writes (uvicorn raises OSError): after a few events,
    at the start event, or already at the response's start."""
    payloads, _ = demo()
    up = Upstream(payloads, delay=0.002)
    source = aupdates(up.agen(), model=Party)

    async def main() -> PatchStreamResponse:
        client = Client(fail_after=fail_after)
        response = sse_response(source)
        with anyio.fail_after(10):
            await client.run(response)
        return response

    response = run(main)
    assert response.stats.outcome == "disconnected"
    assert up.read < len(payloads) // 2
    if fail_after >= 0:
        assert up.closed_at is not None
    else:  # (never started: the upstream was closed unopened)
        with pytest.raises(StopAsyncIteration):
            run(source.__anext__)


def test_slow_client_gets_merged_events() -> None:
    """A client that cannot take anything for a while: what waits merges (fewer, larger events,
    fewer bytes), and the document is exact."""
    payloads, source = demo()

    async def main() -> tuple[Client, RelayStats]:
        gate = anyio.Event()
        client = Client(gate=gate)
        response = sse_response(aupdates(Upstream(payloads, delay=0.001).agen(), model=Party))

        async def open_later() -> None:
            await anyio.sleep(0.15)
            gate.set()

        async with anyio.create_task_group() as tg:
            tg.start_soon(open_later)
            await client.run(response)
        return client, response.stats

    client, stats = run(main)
    doc, _ = rebuild(client.events())
    assert doc == source
    assert stats.merged > 20 and stats.events < 60
    fast = run(lambda: relay_bytes(payloads))
    assert stats.bytes < fast
    assert stats.peak_buffer < 5000


async def relay_bytes(payloads: list[Any], **kw: Any) -> int:
    client = Client()
    await client.run(sse_response(aupdates(Upstream(payloads, delay=0.001).agen(), model=Party), **kw))
    return len(client.body)


def test_client_past_the_bound_is_dropped() -> None:
    """A client that reads nothing while a large document streams: the outbox stops at
    ``max_buffer``, the client gets an error event if it ever reads again, the upstream is
    closed, and a client that never reads is cut off after ``drop_timeout``."""
    big = json.dumps({"rows": [{"id": i, "text": "lorem ipsum " * 8} for i in range(3000)]})
    parts = random_splits(big, 9, 40)

    async def main(reads_again: bool) -> tuple[Client, RelayStats, Upstream]:
        gate = anyio.Event()
        client = Client(gate=gate)
        up = Upstream(parts)
        response = sse_response(up.agen(), max_buffer=64 * 1024, drop_timeout=0.3)

        async def later() -> None:
            await anyio.sleep(0.2)
            gate.set()

        async with anyio.create_task_group() as tg:
            if reads_again:
                tg.start_soon(later)
            with anyio.fail_after(10):
                await client.run(response)
        return client, response.stats, up

    client, stats, up = run(lambda: main(True))
    assert stats.outcome == "dropped" and stats.error == "SlowClient"
    assert up.closed_at is not None and up.read < len(parts)
    assert 64 * 1024 < stats.peak_buffer < 64 * 1024 + 2000
    kind, data = client.events()[-1]
    assert kind == "error" and json.loads(data)["type"] == "SlowClient" and client.complete
    # never reads again: cut off after drop_timeout, nothing more sent
    t0 = time.monotonic()
    client, stats, up = run(lambda: main(False))
    assert stats.outcome == "dropped" and up.closed_at is not None
    assert time.monotonic() - t0 < 3 and not client.complete


def test_pings_while_the_upstream_is_silent_and_interval() -> None:
    async def main() -> tuple[Client, RelayStats]:
        client = Client()
        up = Upstream(['{"a": "x', "y", '"}'], delay=0.25)
        response = sse_response(up.agen(), ping=0.1)
        await client.run(response)
        return client, response.stats

    client, stats = run(main)
    events = client.events()
    assert stats.pings >= 3 and ("comment", "ping") in events
    assert rebuild(events)[0] == {"a": "xy"}

    payloads, source = demo()

    async def spaced() -> tuple[Client, RelayStats]:
        client = Client()
        response = sse_response(aupdates(Upstream(payloads, delay=0.004).agen(), model=Party), interval=0.05)
        await client.run(response)
        return client, response.stats

    client, stats = run(spaced)
    doc, _ = rebuild(client.events())
    assert doc == source and stats.merged > 30
    # (sent: start, the patch events, done, the end of the body; the last patch event is not
    # held back: the document is complete)
    patch_times = client.sent[1:-3]
    gaps = [b - a for a, b in itertools.pairwise(patch_times)]
    assert len(gaps) > 5 and min(gaps) > 0.045, gaps


def test_response_options_are_checked() -> None:
    with pytest.raises(ValueError):
        sse_response([], interval=-1)
    with pytest.raises(ValueError):
        sse_response([], max_buffer=0)
    r = sse_response([], headers={"x-request-id": "7"}, status_code=201)
    assert r.headers["x-request-id"] == "7" and r.status_code == 201


# -- through uvicorn, on real sockets -----------------------------------------------------------------


def test_example_app_over_http() -> None:
    _, source = demo()
    app = create_app(delay=0.002)
    with serving(app) as base:
        module = httpx.get(f"{base}/static/midstream.js")
        assert module.status_code == 200
        assert module.headers["content-type"].startswith("text/javascript")
        assert "export async function streamPatches" in module.text
        page = httpx.get(f"{base}/")
        assert 'from "/static/midstream.js"' in page.text
        for model in ("party", "none", "strict"):
            with httpx.stream("GET", f"{base}/stream?model={model}") as r:
                body = b"".join(r.iter_bytes())
            events = parse_sse(body)
            doc, _ = rebuild(events)
            if model == "strict":
                assert events[-1][0] == "error" and is_prefix(doc, source)
            else:
                assert events[-1][0] == "done" and doc == source
        stats = httpx.get(f"{base}/stats").json()
        assert [s["outcome"] for s in stats] == ["done", "done", "error"]


def test_browser_leaving_over_http() -> None:
    """A client closes its connection mid-stream: uvicorn reports it, the upstream is closed
    within one delta, the response's objects are released, and other clients go on."""
    gc.collect()  # (objects an earlier test still holds are not this test's to release)
    earlier = {id(o) for o in gc.get_objects() if isinstance(o, (PatchStreamResponse, ValuePatcher))}
    _, source = demo()
    app = create_app(delay=0.01)
    with serving(app) as base:

        async def main() -> list[Any]:
            async with httpx.AsyncClient(timeout=30) as http:

                async def leaver() -> None:
                    async with http.stream("GET", f"{base}/stream?tag=leaver") as r:
                        n = 0
                        async for chunk in r.aiter_raw():
                            n += chunk.count(b"\n\n")
                            if n >= 10:
                                break

                async def stayer() -> Any:
                    async with http.stream("GET", f"{base}/stream?tag=stayer") as r:
                        body = b"".join([c async for c in r.aiter_raw()])
                    return rebuild(parse_sse(body))[0]

                results = await asyncio.gather(leaver(), stayer(), leaver(), stayer())
                return [r for r in results if r is not None]

        docs = asyncio.run(main())
        assert docs == [source, source]
        deadline = time.monotonic() + 5
        while len(app.state.finished) < 4:
            assert time.monotonic() < deadline
            time.sleep(0.02)
    by_tag: dict[str, list[dict[str, Any]]] = {}
    for s in app.state.finished:
        by_tag.setdefault(s["tag"], []).append(s)
    for s in by_tag["leaver"]:
        assert s["outcome"] == "disconnected" and s["upstream_closed"]
        assert s["deltas_after_disconnect"] <= 1 and s["deltas"] < 60
    for s in by_tag["stayer"]:
        assert s["outcome"] == "done"
    # Nothing is kept once every stream is over (the server's threads may take a moment to
    # let go of their last frames on a busy machine: wait for it, bounded).
    deadline = time.monotonic() + 10
    while True:
        gc.collect()
        live = [
            o
            for o in gc.get_objects()
            if isinstance(o, (PatchStreamResponse, ValuePatcher)) and id(o) not in earlier
        ]
        if not live or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert not live


def test_replay_counts_what_it_handed_out() -> None:
    payloads, _ = demo()
    replay = Replay(payloads, 0)

    async def main() -> int:
        n = 0
        async for _ in replay:
            n += 1
        return n

    assert run(main) == len(payloads) and replay.deltas == 114 and replay.closed_at is not None


class Ask(BaseModel):
    prompt: str


def test_starlette_and_fastapi_endpoints() -> None:
    """The helper is a Starlette response: a Starlette endpoint and a FastAPI one (POST with a
    pydantic body, as midstream.js sends it) return it as it is."""
    from fastapi import FastAPI

    async def endpoint(request: Request) -> Response:
        text = json.dumps({"q": request.query_params["q"]})
        return sse_response(iter([text[:4], text[4:]]))

    api = FastAPI()

    async def extract(ask: Ask) -> Response:
        payloads, _ = demo()
        return sse_response(aupdates(Upstream(payloads).agen(), model=Party), start={"prompt": ask.prompt})

    extract.__annotations__ = {"ask": Ask, "return": Response}  # (this module's are strings)
    api.post("/extract")(extract)
    _, source = demo()
    app = Starlette(routes=[Route("/e", endpoint)])
    with serving(app) as base:
        body = httpx.get(f"{base}/e", params={"q": "hello"}).content
    assert rebuild(parse_sse(body))[0] == {"q": "hello"}
    with serving(api) as base:
        r = httpx.post(f"{base}/extract", json={"prompt": "a party"}, headers={"accept": "text/event-stream"})
    assert r.headers["content-type"] == "text/event-stream; charset=utf-8"
    events = parse_sse(r.content)
    assert events[0] == ("start", '{"v":1,"prompt":"a party"}') and events[-1][0] == "done"
    assert rebuild(events)[0] == source


def test_patches_of_updates_need_no_starlette() -> None:
    """``midstream.web.PatchStream`` (and ``ValuePatcher``) import and work without Starlette:
    the relay, and Starlette with it, is imported when first used."""
    import subprocess
    import sys

    code = """
import sys
sys.modules["starlette"] = None  # (as if not installed: importing it fails)
from midstream import apply_patch, updates
from midstream.web import PatchStream
payloads = [
    {"choices": [{"index": 0, "delta": {"content": '{"a": [1, "tw'}}]},
    {"choices": [{"index": 0, "delta": {"content": 'o"], "b": true}'}}]},
    {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
]
ps, doc = PatchStream(), None
for u in updates(payloads):
    doc = apply_patch(doc, ps.feed(u))
assert doc == {"a": [1, "two"], "b": True} and ps.complete, doc
try:
    from midstream.web import sse_response
except ImportError:
    print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.split() == ["ok"], out.stderr
