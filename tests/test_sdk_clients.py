"""updates / aupdates with the real ``openai`` and ``anthropic`` clients, over real HTTP.

The clients' ``base_url`` points at :class:`tests.replay_server.ReplayServer` on 127.0.0.1,
which replays the recorded SSE bodies (split into small chunks): every way the SDKs hand out a
stream (``create(..., stream=True)``, the ``.stream(...)`` helpers entered or not, sync and
async, and the stream iterated as the SDK's own event objects) must give every recorded channel
exactly its assembled value, and the same updates as the recorded payloads.

Cancellation end to end: the server counts the events it actually wrote; when validation fails
or the caller leaves the loop, ``updates`` closes the SDK stream and the server sees the
connection close well before the end of a long stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import json
import re
import time
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import openai
import pytest
from pydantic import BaseModel

from midstream import StreamValidationError
from midstream.integrations.updates import IncompleteStreamError, aupdates, updates
from support.corpus import ROOT
from tests.replay_server import INDEX, ReplayServer, Served
from tests.test_updates import (
    City,
    Run,
    check_recorded,
    grows,
    needs_early_validation,
    payloads,
    run,
)

SSE_API = {s["name"]: s["api"] for s in INDEX}
CHAT = [n for n, api in SSE_API.items() if api == "openai-chat-completions"]  # all with .sse
MESSAGES = [n for n, api in SSE_API.items() if api == "anthropic-messages" and "sdk-python" in n]
RESPONSES = [n for n, api in SSE_API.items() if api == "openai-responses"]


@pytest.fixture(scope="module")
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as s:
        yield s


def openai_client(server: ReplayServer, name: str, aio: bool = False, **opts: Any) -> Any:
    cls = openai.AsyncOpenAI if aio else openai.OpenAI
    return cls(base_url=server.url(name, v1=True, **opts), api_key="test", max_retries=0)


def anthropic_client(server: ReplayServer, name: str, aio: bool = False, **opts: Any) -> Any:
    cls = anthropic.AsyncAnthropic if aio else anthropic.Anthropic
    return cls(base_url=server.url(name, **opts), api_key="test", max_retries=0)


CHAT_ARGS: dict[str, Any] = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
MESSAGE_ARGS: dict[str, Any] = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 1024,
    "messages": [{"role": "user", "content": "hi"}],
}
RESPONSE_ARGS: dict[str, Any] = {"model": "gpt-5", "input": "hi"}


async def arun(source: Any, **kw: Any) -> Run:
    r = Run()
    try:
        async for u in aupdates(source, **kw):
            r.add(u)
    except IncompleteStreamError as e:
        r.error = e
    return r


@functools.cache
def expected(name: str) -> list[tuple[Any, ...]]:
    return run(payloads(name)).key()


def same_as_recorded(name: str, r: Run) -> None:
    check_recorded(name, r)
    assert r.key() == expected(name)


# -- every recorded body, every way the SDKs give a stream -----------------------------------------


CHAT_WAYS = [
    pytest.param(name, way, id=f"{name}-{way}")
    for i, name in enumerate(CHAT)
    for way in ["create", "helper", "entered-helper", "objects", "helper-objects"]
    if way in ("create", "entered-helper") or i % 4 == 0  # the slower ways on a quarter
]


@pytest.mark.parametrize(("name", "way"), CHAT_WAYS)
def test_openai_chat(server: ReplayServer, name: str, way: str) -> None:
    c = openai_client(server, name, split=61, seed=len(name))
    if way == "create":
        r = run(c.chat.completions.create(stream=True, **CHAT_ARGS))
    elif way == "helper":  # the manager, not entered: updates enters and exits it
        r = run(c.chat.completions.stream(**CHAT_ARGS))
    elif way == "entered-helper":
        with c.chat.completions.stream(**CHAT_ARGS) as stream:
            r = run(stream)
    elif way == "objects":  # the SDK's ChatCompletionChunk objects, as the SDK made them
        stream = c.chat.completions.create(stream=True, **CHAT_ARGS)
        r = run(chunk for chunk in stream)
    else:  # the helper's events (ChunkEvent, ContentDeltaEvent, ...)
        with c.chat.completions.stream(**CHAT_ARGS) as stream:
            r = run(event for event in stream)
    same_as_recorded(name, r)


@pytest.mark.parametrize("way", ["create", "helper", "entered-helper"])
@pytest.mark.parametrize("name", CHAT[::3])
def test_openai_chat_async(server: ReplayServer, name: str, way: str) -> None:
    async def main() -> Run:
        c = openai_client(server, name, aio=True, split=47)
        if way == "create":
            return await arun(await c.chat.completions.create(stream=True, **CHAT_ARGS))
        if way == "helper":
            return await arun(c.chat.completions.stream(**CHAT_ARGS))
        async with c.chat.completions.stream(**CHAT_ARGS) as stream:
            return await arun(stream)

    same_as_recorded(name, asyncio.run(main()))


@pytest.mark.parametrize("way", ["create", "helper", "entered-helper", "objects", "helper-objects"])
@pytest.mark.parametrize("name", MESSAGES)
def test_anthropic_messages(server: ReplayServer, name: str, way: str) -> None:
    c = anthropic_client(server, name, split=53, seed=len(name))
    if way == "create":
        r = run(c.messages.create(stream=True, **MESSAGE_ARGS))
    elif way == "helper":
        r = run(c.messages.stream(**MESSAGE_ARGS))
    elif way == "entered-helper":
        with c.messages.stream(**MESSAGE_ARGS) as stream:
            r = run(stream)
    elif way == "objects":
        stream = c.messages.create(stream=True, **MESSAGE_ARGS)
        r = run(event for event in stream)
    else:  # MessageStream's events: the raw ones and its own (text, input_json, ...)
        with c.messages.stream(**MESSAGE_ARGS) as stream:
            r = run(event for event in stream)
    same_as_recorded(name, r)


@pytest.mark.parametrize("way", ["create", "helper", "entered-helper"])
@pytest.mark.parametrize("name", MESSAGES)
def test_anthropic_messages_async(server: ReplayServer, name: str, way: str) -> None:
    async def main() -> Run:
        c = anthropic_client(server, name, aio=True, split=41)
        if way == "create":
            return await arun(await c.messages.create(stream=True, **MESSAGE_ARGS))
        if way == "helper":
            return await arun(c.messages.stream(**MESSAGE_ARGS))
        async with c.messages.stream(**MESSAGE_ARGS) as stream:
            return await arun(stream)

    same_as_recorded(name, asyncio.run(main()))


@pytest.mark.parametrize("way", ["create", "helper", "objects", "async"])
@pytest.mark.parametrize("name", RESPONSES)
def test_openai_responses(server: ReplayServer, name: str, way: str) -> None:
    """The Responses API: its recorded payloads, framed as SSE by the server."""
    if way == "async":

        async def main() -> Run:
            c = openai_client(server, name, aio=True, split=97)
            return await arun(await c.responses.create(stream=True, **RESPONSE_ARGS))

        r = asyncio.run(main())
    else:
        c = openai_client(server, name, split=97)
        if way == "create":
            r = run(c.responses.create(stream=True, **RESPONSE_ARGS))
        elif way == "helper":
            with c.responses.stream(**RESPONSE_ARGS) as stream:
                r = run(stream)
        else:
            r = run(event for event in c.responses.create(stream=True, **RESPONSE_ARGS))
    same_as_recorded(name, r)


def test_a_plain_http_client(server: ReplayServer) -> None:
    """Raw SSE bytes from any HTTP client: an httpx response, sync and async."""
    name = CHAT[0]
    url = server.url(name, split=5) + "/v1/chat/completions"
    with httpx.Client() as client, client.stream("POST", url, json={}) as response:
        same_as_recorded(name, run(response))
        assert response.is_closed

    async def main() -> Run:
        async with httpx.AsyncClient() as client, client.stream("POST", url, json={}) as response:
            return await arun(response)

    same_as_recorded(name, asyncio.run(main()))

    async def sync_response_in_aupdates() -> Run:
        with httpx.Client() as client, client.stream("POST", url, json={}) as response:
            return await arun(response)

    same_as_recorded(name, asyncio.run(sync_response_in_aupdates()))

    async def async_response_in_updates() -> None:
        async with httpx.AsyncClient() as client, client.stream("POST", url, json={}) as response:
            with pytest.raises(TypeError, match="aupdates"):
                next(iter(updates(response)))

    asyncio.run(async_response_in_updates())
    with pytest.raises(TypeError, match="iterable of payloads"):
        next(iter(updates({"choices": []})))


def test_closing_before_reading_closes_the_sdk_stream(server: ReplayServer) -> None:
    c = openai_client(server, CHAT[0])
    stream = c.chat.completions.create(stream=True, **CHAT_ARGS)
    updates(stream).close()
    assert stream.response.is_closed


# -- a connection that drops ---------------------------------------------------------------------


def test_connection_drop_keeps_the_partial_values(server: ReplayServer) -> None:
    """The body stops mid-way: the transport's error passes through; the last updates carry
    each channel's partial value (a prefix of the final one)."""
    name = "anthropic-messages__anthropic-sdk-python__tool_use_response"
    full = run(payloads(name))
    c = anthropic_client(server, name, cut=900)
    got = Run()
    with pytest.raises(Exception) as info:
        for u in updates(c.messages.create(stream=True, **MESSAGE_ARGS)):
            got.add(u)
    assert not isinstance(info.value, StreamValidationError)
    assert got.updates
    for u, snap in zip(got.updates, got.snapshots, strict=True):
        assert grows(snap, full.last(u.channel))


# -- cancellation, end to end ----------------------------------------------------------------------


def chat_body(text: str, piece: int = 7) -> bytes:
    out = []
    for i in range(0, len(text), piece):
        chunk = {
            "id": "chatcmpl-long",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "gpt-4o",
            "choices": [{"index": 0, "delta": {"content": text[i : i + piece]}}],
        }
        out.append(f"data: {json.dumps(chunk)}\n\n")
    stop = {"id": "chatcmpl-long", "object": "chat.completion.chunk", "created": 0,
            "model": "gpt-4o", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}  # fmt: skip
    out.append(f"data: {json.dumps(stop)}\n\ndata: [DONE]\n\n")
    return "".join(out).encode()


def tool_body(text: str, piece: int = 7) -> bytes:
    events = [
        {"type": "message_start", "message": {"id": "msg_long", "type": "message", "role": "assistant",
         "model": "claude", "content": [], "stop_reason": None,
         "usage": {"input_tokens": 1, "output_tokens": 1}}},
        {"type": "content_block_start", "index": 0,
         "content_block": {"type": "tool_use", "id": "toolu_long", "name": "cities", "input": {}}},
        *({"type": "content_block_delta", "index": 0,
           "delta": {"type": "input_json_delta", "partial_json": text[i : i + piece]}}
          for i in range(0, len(text), piece)),
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 9}},
        {"type": "message_stop"},
    ]  # fmt: skip
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events).encode()


class Cities(BaseModel):
    cities: list[City]


def cities(n: int, bad: int) -> list[dict[str, Any]]:
    return [{"city": f"c{i}", "tags": ["x"] if i != bad else "x"} for i in range(n)]


def served(server: ReplayServer, name: str) -> Served:
    """The server's record of the last response for ``name``, once it stopped writing."""
    deadline = time.monotonic() + 10
    while True:
        s = [x for x in server.log if x.path.startswith(f"/{name}/")][-1]
        if s.finished or s.client_closed or time.monotonic() > deadline:
            return s
        time.sleep(0.01)


LONG = 2000  # objects in the long streams (about 10,000 events)


def stopped_early(s: Served) -> None:
    assert s.client_closed and not s.finished
    assert s.total > 9000 and s.sent < s.total // 20, (s.sent, s.total)


@pytest.mark.parametrize("aio", [False, True])
def test_validation_failure_closes_the_openai_stream(server: ReplayServer, aio: bool) -> None:
    needs_early_validation()
    name = f"long-chat-invalid-{aio}"
    server.add(name, chat_body(json.dumps(cities(LONG, bad=40))))

    async def main() -> StreamValidationError:
        c = openai_client(server, name, aio=True, delay=0.2)
        with pytest.raises(StreamValidationError) as info:
            async for _ in aupdates(
                await c.chat.completions.create(stream=True, **CHAT_ARGS), model=list[City]
            ):
                pass
        return info.value

    if aio:
        e = asyncio.run(main())
    else:
        c = openai_client(server, name, delay=0.2)
        with pytest.raises(StreamValidationError) as info:
            for _ in updates(c.chat.completions.create(stream=True, **CHAT_ARGS), model=list[City]):
                pass
        e = info.value
    assert tuple(e.path)[:1] == (40,)
    consumed = len(json.dumps(cities(LONG, bad=40)[:40])) - 1  # through the 40 valid items
    assert consumed < e.consumed < consumed + 60  # what was read: the failing item, no more
    stopped_early(served(server, name))


def test_validation_failure_closes_the_anthropic_helper(server: ReplayServer) -> None:
    needs_early_validation()
    name = "long-tool-invalid"
    server.add(name, tool_body(json.dumps({"cities": cities(LONG, bad=25)})))
    c = anthropic_client(server, name, delay=0.2)
    with pytest.raises(StreamValidationError) as info:
        for _ in updates(c.messages.stream(**MESSAGE_ARGS), tools={"cities": Cities}):
            pass
    assert tuple(info.value.path)[:2] == ("cities", 25)
    stopped_early(served(server, name))


@pytest.mark.parametrize("way", ["break", "with", "close", "async-break"])
def test_leaving_the_loop_closes_the_stream(server: ReplayServer, way: str) -> None:
    name = f"long-chat-valid-{way}"
    server.add(name, chat_body(json.dumps(cities(LONG, bad=-1))))
    if way == "async-break":

        async def main() -> None:
            c = openai_client(server, name, aio=True, delay=0.2)
            async with aupdates(await c.chat.completions.create(stream=True, **CHAT_ARGS)) as it:
                async for u in it:
                    if u.value and len(u.value) > 3:
                        break

        asyncio.run(main())
    else:
        c = openai_client(server, name, delay=0.2)
        stream = c.chat.completions.create(stream=True, **CHAT_ARGS)
        if way == "break":
            for u in updates(stream):
                if u.value and len(u.value) > 3:
                    break
        elif way == "with":
            with updates(stream) as it:
                for u in it:
                    if u.value and len(u.value) > 3:
                        break
        else:
            it = updates(stream)
            next(iter(it))
            it.close()
        assert stream.response.is_closed
    stopped_early(served(server, name))


# -- the README's provider examples run as shown ------------------------------------------------------

DOC_EXAMPLES = re.findall(
    r"<!-- replay: (\S+) -->\n```python\n(.*?)```",
    (ROOT / "README.md").read_text("utf-8"),
    re.S,
)


@pytest.mark.parametrize(("name", "code"), DOC_EXAMPLES, ids=[n for n, _ in DOC_EXAMPLES])
def test_docs_examples_print_what_they_say(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, name: str, code: str
) -> None:
    """Each example, its client pointed at the replay of the recording named above it."""
    monkeypatch.setenv("OPENAI_BASE_URL", server.url(name, v1=True, split=31))
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url(name, split=31))
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test")
    expected = [line[3:] for line in code.splitlines() if line.startswith("#> ")]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, f"README.md ({name})", "exec"), {"__name__": "docs"})
    assert out.getvalue().splitlines() == expected
    assert expected


def test_docs_examples_are_all_tested() -> None:
    assert len(DOC_EXAMPLES) == 5
