"""midstream.integrations.providers: every recorded stream splits into the channels it assembles.

The corpus names each JSON-bearing channel of a recording (``index.json``, the ``*.assembled.*``
files): the demux must find each one, with the identity the name gives, and its deltas must
assemble into the recorded value. Parallel tool calls must never share a channel.
"""

from __future__ import annotations

import copy
import doctest
import itertools
import json
import pickle
import random
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from midstream import IncompleteJSONError, Parser
from midstream.integrations import providers
from midstream.integrations.json_path_writer import JSONPathWriter, parse_json_path
from midstream.integrations.providers import (
    Channel,
    ChannelDemux,
    ChannelDone,
    ChannelOpened,
    Delta,
    DemuxEvent,
    ProviderError,
    Stopped,
    detect_provider,
)
from midstream.integrations.sse import iter_sse
from support.corpus import STREAMS as STREAMS_DIR
from tests.strategies import json_values

ROOT = Path(__file__).resolve().parent.parent


def llm_streams_dir() -> Path:
    """The recorded LLM streams (tests/data/llm-streams)."""
    return STREAMS_DIR


STREAMS = llm_streams_dir()
INDEX: list[dict[str, Any]] = json.loads((STREAMS / "index.json").read_text("utf-8"))
NAMES = [s["name"] for s in INDEX]


@pytest.fixture(autouse=True)
def engine() -> None:
    """The demux does not use the JSON engines: run these tests once, not once per engine."""


def payloads(name: str) -> list[Any]:
    lines = (STREAMS / f"{name}.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def run(items: Iterable[Mapping[str, Any]], provider: Any = None) -> list[DemuxEvent]:
    demux = ChannelDemux(provider)
    out: list[DemuxEvent] = []
    for p in items:
        out += demux.feed(p)
    return out + demux.close()


def texts(events: Iterable[DemuxEvent]) -> dict[Channel, str]:
    got: dict[Channel, str] = defaultdict(str)
    for e in events:
        if isinstance(e, Delta):
            got[e.channel] += e.text
    return dict(got)


def matcher(api: str, channel_name: str) -> Callable[[Channel], bool]:
    """What a corpus channel name (``choice0.tool_call1.arguments``, ``m1.block2.input_json``,
    ``fc_<id>.function_call_arguments`` ...) says about the channel's identity."""
    patterns: list[tuple[str, Callable[[re.Match[str]], Callable[[Channel], bool]]]] = [
        (
            r"choice(\d+)\.content",
            lambda m: lambda c: (c.kind, c.choice) == ("content", int(m[1])),
        ),
        (
            r"choice(\d+)\.tool_call(\d+)\.arguments",
            lambda m: lambda c: (c.kind, c.choice, c.index) == ("tool_call", int(m[1]), int(m[2])),
        ),
        (
            r"(?:m(\d+)\.)?block(\d+)\.(input_json|text)",
            lambda m: (
                lambda c: (
                    (c.provider, c.kind, c.message, c.index)
                    == (
                        "anthropic",
                        "tool_use" if m[3] == "input_json" else "text",
                        int(m[1] or 0),
                        int(m[2]),
                    )
                )
            ),
        ),
        (
            r"(.+)\.(function_call|mcp_call)_arguments",
            lambda m: lambda c: (c.provider, c.kind, c.id) == ("openai-responses", m[2], m[1]),
        ),
        (
            r"tool_call(\d+)\.arguments",
            lambda m: lambda c: (c.provider, c.kind, c.index) == ("cohere", "tool_call", int(m[1])),
        ),
        (
            r"block(\d+)\.tool_use_input",
            lambda m: lambda c: (c.provider, c.kind, c.index) == ("bedrock", "tool_use", int(m[1])),
        ),
    ]
    for pattern, make in patterns:
        m = re.fullmatch(pattern, channel_name)
        if m:
            return make(m)
    raise AssertionError(f"unknown channel name {channel_name!r} ({api})")


# -- the corpus ------------------------------------------------------------------------------


def test_corpus_index() -> None:
    assert len(INDEX) == 76
    assert sum(len(s["json_channels"]) for s in INDEX) == 111


@pytest.mark.parametrize("name", NAMES)
def test_every_channel_assembles(name: str) -> None:
    entry = next(s for s in INDEX if s["name"] == name)
    events = run(payloads(name))
    got = texts(events)
    for spec in entry["json_channels"]:
        matches = [c for c in got if matcher(entry["api"], spec["channel"])(c)]
        assert len(matches) == 1, (spec["channel"], list(got))
        text = got[matches[0]]
        recorded = (STREAMS / spec["file"]).read_text("utf-8")
        if spec["file"].endswith(".json"):
            assert json.loads(text) == json.loads(recorded), spec["channel"]
        elif recorded == "":
            # a tool call without arguments: the recording assembled nothing, the demux gives
            # the call's input from its start ("{}")
            assert text == "{}", spec["channel"]
        else:  # cut short by max_tokens / length: the same prefix
            assert text == recorded, spec["channel"]


@pytest.mark.parametrize("name", NAMES)
def test_event_protocol(name: str) -> None:
    """Opened before its deltas, done exactly once and last, deltas never empty, no channel
    opened twice, a stop reason for every recording."""
    events = run(payloads(name))
    opened: set[Channel] = set()
    done: set[Channel] = set()
    for e in events:
        if isinstance(e, ChannelOpened):
            assert e.channel not in opened
            opened.add(e.channel)
            assert isinstance(e.start, Mapping)
        elif isinstance(e, Delta):
            assert e.channel in opened and e.channel not in done
            assert isinstance(e.text, str) and e.text
        elif isinstance(e, ChannelDone):
            assert e.channel in opened and e.channel not in done
            assert not e.eof, "every recording ends its channels itself"
            done.add(e.channel)
    assert opened == done
    assert any(isinstance(e, Stopped) for e in events)


def tool_call_ids(items: list[Any]) -> set[str]:
    """The id of every tool call a recording holds, read from the payloads independently."""
    ids: set[str] = set()
    for p in items:
        for c in p.get("choices") or ():
            for tc in (c.get("delta") or {}).get("tool_calls") or ():
                if tc.get("id"):
                    ids.add(tc["id"])
        cb = p.get("content_block") or {}
        if cb.get("type") in ("tool_use", "server_tool_use", "mcp_tool_use"):
            ids.add(cb["id"])
        item = p.get("item") or {}
        if item.get("type") in ("function_call", "mcp_call"):
            ids.add(item["id"])
        if p.get("type") == "tool-call-start":
            ids.add(p["delta"]["message"]["tool_calls"]["id"])
        tool = (p.get("contentBlockStart") or {}).get("start", {}).get("toolUse")
        if tool:
            ids.add(tool["toolUseId"])
    return ids


@pytest.mark.parametrize("name", NAMES)
def test_parallel_calls_never_share_a_channel(name: str) -> None:
    items = payloads(name)
    calls = [
        c
        for c in texts(run(items))
        if c.kind in ("tool_call", "tool_use", "function_call", "mcp_call")
    ]
    if name.startswith("gemini"):
        return  # Gemini gives no call ids: see test_gemini_*
    assert sorted(c.id or "" for c in calls) == sorted(tool_call_ids(items))
    assert len(set(calls)) == len(calls)


@pytest.mark.parametrize(
    "name", [p.name.removesuffix(".sse") for p in sorted(STREAMS.glob("*.sse"))]
)
def test_from_raw_sse_bodies(name: str) -> None:
    """The raw body, through the SSE decoder, gives the same events as the recorded payloads."""
    body = (STREAMS / f"{name}.sse").read_bytes()
    events = iter_sse(body[k : k + 61] for k in range(0, len(body), 61))
    assert run(e.json() for e in events if not e.is_done) == run(payloads(name))


def test_stop_reasons() -> None:
    truncated = {
        "openai-chat__openai-python__parse_max_tokens_reached__2024-08-07": "length",
        "openai-chat__openai-python__parse_max_tokens_reached__2024-09-26": "length",
        "anthropic-messages__anthropic-sdk-python__incomplete_partial_json_response": "max_tokens",
    }
    for name in NAMES:
        stops = [e for e in run(payloads(name)) if isinstance(e, Stopped)]
        if name in truncated:
            assert [(s.reason, s.truncated) for s in stops] == [(truncated[name], True)]
        else:
            assert stops and not any(s.truncated for s in stops), name
    multi = "openai-chat__openai-python__parse_pydantic_model_multiple_choices__2024-09-26"
    stops = [e for e in run(payloads(multi)) if isinstance(e, Stopped)]
    assert [(s.provider, s.choice, s.reason) for s in stops] == [
        ("openai", i, "stop") for i in range(3)
    ]


def test_one_parser_per_channel() -> None:
    """The use the demux is for: a midstream Parser per channel, fed as the deltas come."""
    name = "anthropic-messages__vercel-ai__anthropic__anthropic-code-execution-20250825.pptx-skill"
    parsers: dict[Channel, Parser] = {}
    values: dict[Channel, Any] = {}
    for e in run(payloads(name)):
        if isinstance(e, ChannelOpened) and e.channel.kind == "tool_use":
            parsers[e.channel] = Parser()
        elif isinstance(e, Delta) and e.channel in parsers:
            parsers[e.channel].feed(e.text)
        elif isinstance(e, ChannelDone) and e.channel in parsers:
            values[e.channel] = parsers.pop(e.channel).close()
    assert len(values) == 16 and not parsers
    for c, v in values.items():
        assert v == json.loads(
            (STREAMS / f"{name}.block{c.index}.input_json.assembled.json").read_text()
        )


# -- OpenAI chat: the quirks of the compatible servers ----------------------------------------


def chunk(*deltas: dict[str, Any], finish: str | None = None, choice: int = 0) -> dict[str, Any]:
    d: dict[str, Any] = {"tool_calls": list(deltas)} if deltas else {}
    return {"choices": [{"index": choice, "delta": d, "finish_reason": finish}]}


def tc(
    index: int | None = None, id: str | None = None, name: str | None = None, args: str = ""
) -> dict[str, Any]:
    call: dict[str, Any] = {"function": {"arguments": args}}
    if index is not None:
        call["index"] = index
    if id is not None:
        call["id"] = id
    if name is not None:
        call["function"]["name"] = name
    return call


def calls_of(events: list[DemuxEvent]) -> list[tuple[int | None, str | None, str | None, str]]:
    return [(c.index, c.id, c.name, t) for c, t in texts(events).items()]


def test_openai_interleaved_parallel_calls() -> None:
    events = run(
        [
            chunk(tc(0, "a", "f", '{"x"'), tc(1, "b", "g", "[1")),
            chunk(tc(1, args=",2]")),
            chunk(tc(0, args=": 1}")),
            chunk(finish="tool_calls"),
        ]
    )
    assert calls_of(events) == [(0, "a", "f", '{"x": 1}'), (1, "b", "g", "[1,2]")]


def test_openai_ids_repeated_or_empty() -> None:
    # DeepSeek-like: the id on every delta; Alibaba-like: "id": "" after the first
    for later in ("a", ""):
        events = run([chunk(tc(0, "a", "f", "{")), chunk(tc(0, later, None, "}"))])
        assert calls_of(events) == [(0, "a", "f", "{}")]


def test_openai_index_reused_by_another_call() -> None:
    events = run(
        [chunk(tc(0, "a", "f", "{}")), chunk(tc(0, "b", "g", "[")), chunk(tc(0, args="]"))]
    )
    assert calls_of(events) == [(0, "a", "f", "{}"), (0, "b", "g", "[]")]
    done = [e.channel.id for e in events if isinstance(e, ChannelDone)]
    assert done == ["a", "b"]  # "a" ends when "b" takes its index; "b" at close
    assert [e.eof for e in events if isinstance(e, ChannelDone)] == [False, True]


def test_mistral_calls_without_index() -> None:
    # whole calls, each with its id, in one chunk or in several
    one = run(
        [chunk(tc(None, "a", "f", '{"q": 1}'), tc(None, "b", "g", "{}"), finish="tool_calls")]
    )
    several = run([chunk(tc(None, "a", "f", '{"q": 1}')), chunk(tc(None, "b", "g", "{}"))])
    for events in (one, several):
        assert calls_of(events) == [(0, "a", "f", '{"q": 1}'), (1, "b", "g", "{}")]
    # neither index nor id after the first delta: the call goes on
    events = run([chunk(tc(None, "a", "f", "{")), chunk(tc(None, None, None, "}"))])
    assert calls_of(events) == [(0, "a", "f", "{}")]


def test_openai_choices_content_refusal() -> None:
    events = run(
        [
            {
                "choices": [
                    {"index": 1, "delta": {"content": "[1"}},
                    {"index": 0, "delta": {"refusal": "No"}},
                ]
            },
            {"choices": [{"index": 1, "delta": {"content": "]"}, "finish_reason": "stop"}]},
            {
                "choices": [
                    {"index": 0, "delta": {"content": ""}, "finish_reason": "content_filter"}
                ]
            },
        ]
    )
    got = {(c.kind, c.choice): t for c, t in texts(events).items()}
    assert got == {("content", 1): "[1]", ("refusal", 0): "No"}
    assert [(e.choice, e.reason) for e in events if isinstance(e, Stopped)] == [
        (1, "stop"),
        (0, "content_filter"),
    ]


# -- other providers, beyond the corpus --------------------------------------------------------


def test_responses_arguments_only_in_done_and_incomplete() -> None:
    events = run(
        [
            {"type": "response.output_item.added", "output_index": 0,
             "item": {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "f", "arguments": ""}},
            {"type": "response.function_call_arguments.done", "item_id": "fc_1", "output_index": 0, "arguments": '{"a":1}'},
            {"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 1, "content_index": 0, "delta": "Hel"},
            {"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 1, "content_index": 0, "delta": "lo"},
            {"type": "response.incomplete", "response": {"status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"}}},
        ]
    )  # fmt: skip
    got = {(c.kind, c.id, c.index, c.part): t for c, t in texts(events).items()}
    assert got == {
        ("function_call", "fc_1", 0, None): '{"a":1}',
        ("output_text", "msg_1", 1, 0): "Hello",
    }
    opened = [e for e in events if isinstance(e, ChannelOpened)]
    assert opened[0].start["call_id"] == "call_1"
    stop = events[-1]
    assert isinstance(stop, Stopped) and stop.reason == "max_output_tokens" and stop.truncated
    assert sum(isinstance(e, ChannelDone) for e in events) == 2


def test_cohere_text_and_bedrock_text() -> None:
    cohere = run(
        [
            {"type": "content-start", "index": 0, "delta": {"message": {"content": {"type": "text", "text": ""}}}},
            {"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": '{"a"'}}}},
            {"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": ": 1}"}}}},
            {"type": "content-end", "index": 0},
            {"type": "message-end", "delta": {"finish_reason": "MAX_TOKENS"}},
        ]
    )  # fmt: skip
    assert {(c.provider, c.kind, c.index): t for c, t in texts(cohere).items()} == {
        ("cohere", "text", 0): '{"a": 1}'
    }
    assert isinstance(cohere[-1], Stopped) and cohere[-1].truncated
    bedrock = run(
        [
            {"messageStart": {"role": "assistant"}},
            {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "Hi"}}},
            {"contentBlockStop": {"contentBlockIndex": 0}},
            {"contentBlockStart": {"contentBlockIndex": 1, "start": {"toolUse": {"toolUseId": "t1", "name": "f"}}}},
            {"contentBlockDelta": {"contentBlockIndex": 1, "delta": {"toolUse": {"input": "{}"}}}},
            {"messageStop": {"stopReason": "max_tokens"}},
        ]
    )  # fmt: skip
    assert {(c.kind, c.index, c.id): t for c, t in texts(bedrock).items()} == {
        ("text", 0, None): "Hi",
        ("tool_use", 1, "t1"): "{}",
    }
    assert isinstance(bedrock[-1], Stopped) and bedrock[-1].reason == "max_tokens"


def test_anthropic_thinking_skipped_and_messages_counted() -> None:
    events = run(
        [
            {"type": "message_start", "message": {}},
            {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}},
            {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "hmm"}},
            {"type": "content_block_stop", "index": 0},
            {"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "t", "name": "f", "input": {}}},
            {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": '{"a":'}},
            {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "1}"}},
            {"type": "content_block_stop", "index": 1},
            {"type": "message_delta", "delta": {"stop_reason": "tool_use"}},
            {"type": "message_stop"},
            {"type": "message_start", "message": {}},
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "ok"}},
        ]
    )  # fmt: skip
    assert {(c.kind, c.message, c.index): t for c, t in texts(events).items()} == {
        ("tool_use", 0, 1): '{"a":1}',
        ("text", 1, 0): "ok",
    }
    last = events[-1]
    assert isinstance(last, ChannelDone) and last.eof  # the stream was cut: close() ended it


# -- Gemini ------------------------------------------------------------------------------------


def apply_partial_args(call_parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The oracle: set each partial argument at its path in a dict (strings concatenate)."""
    root: dict[str, Any] = {}
    for fc in call_parts:
        for arg in fc.get("partialArgs") or ():
            steps: list[Any] = [
                int(number) if number else name
                for name, number in re.findall(r"\.([^.\[]+)|\[(\d+)\]", arg["jsonPath"])
            ]
            node: Any = root
            for step, nxt in itertools.pairwise(steps):
                if isinstance(node, list):
                    while len(node) <= step:
                        node.append(None)
                    if node[step] is None:
                        node[step] = [] if isinstance(nxt, int) else {}
                    node = node[step]
                else:
                    node = node.setdefault(step, [] if isinstance(nxt, int) else {})
            key = next(
                k for k in ("stringValue", "numberValue", "boolValue", "nullValue") if k in arg
            )
            value: Any = None if key == "nullValue" else arg[key]
            last = steps[-1]
            if isinstance(node, list):
                while len(node) <= last:
                    node.append(None)
                node[last] = (node[last] or "") + value if key == "stringValue" else value
            else:
                node[last] = node.get(last, "") + value if key == "stringValue" else value
    return root


def gemini_calls(items: list[Any]) -> list[tuple[str | None, Any]]:
    """The calls of a Gemini recording, read independently: (name, arguments)."""
    calls: list[tuple[str | None, Any]] = []
    streaming: list[dict[str, Any]] | None = None
    for p in items:
        for cand in p.get("candidates") or ():
            for part in (cand.get("content") or {}).get("parts") or ():
                fc = part.get("functionCall")
                if fc is None:
                    continue
                if streaming is None and fc.get("name"):
                    if "args" in fc or not fc.get("willContinue"):
                        calls.append((fc["name"], fc.get("args", {})))
                        continue
                    calls.append((fc["name"], None))
                    streaming = []
                if streaming is not None:
                    streaming.append(fc)
                    if not fc.get("willContinue"):
                        calls[-1] = (calls[-1][0], apply_partial_args(streaming))
                        streaming = None
    return calls


@pytest.mark.parametrize("name", [n for n in NAMES if n.startswith("gemini")])
def test_gemini_calls(name: str) -> None:
    items = payloads(name)
    events = run(items)
    got = [(c.name, json.loads(t)) for c, t in texts(events).items() if c.kind == "function_call"]
    assert got == gemini_calls(items)
    # streamed arguments arrive as many deltas that a parser reads as they come
    for c, t in texts(events).items():
        p = Parser()
        deltas = [e.text for e in events if isinstance(e, Delta) and e.channel == c]
        for d in deltas:
            p.feed(d)
        assert p.close() == json.loads(t)
    assert [
        (e.channel.choice, e.channel.index) for e in events if isinstance(e, ChannelOpened)
    ] == [(0, i) for i in range(len(got))]


def test_gemini_nested_partial_args_stream() -> None:
    name = "gemini-streamGenerateContent__vercel-ai__google__google-vertex-stream-tool-call-arguments-nested.1"
    events = run(payloads(name))
    deltas = [e.text for e in events if isinstance(e, Delta)]
    assert len(deltas) > 40
    value = json.loads("".join(deltas))
    assert value["recipe"]["name"] == "Lasagna" and len(value["recipe"]["ingredients"]) == 10
    assert (
        value["recipe"]["steps"][4] == "In a 9x13 baking dish, spread a thin layer of meat sauce."
    )


def gemini(*parts: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    cand: dict[str, Any] = {"content": {"role": "model", "parts": list(parts)}}
    if finish:
        cand["finishReason"] = finish
    return {"candidates": [cand]}


def test_gemini_partial_args_writer() -> None:
    def fc(*args: dict[str, Any], more: bool = True) -> dict[str, Any]:
        return {"functionCall": {"partialArgs": list(args), "willContinue": more}}

    events = run(
        [
            gemini({"functionCall": {"name": "f", "willContinue": True}}),
            gemini(fc({"jsonPath": "$.a", "stringValue": 'x"\n', "willContinue": True})),
            gemini(fc({"jsonPath": "$.a", "stringValue": "é"})),
            gemini(fc({"jsonPath": "$.b[0].c", "numberValue": 1.5}, {"jsonPath": "$.b[0].d", "boolValue": False})),
            gemini(fc({"jsonPath": "$.b[2]", "nullValue": None}, {"jsonPath": "$['odd key.x']", "stringValue": "y"})),
            gemini({"functionCall": {}}, finish="STOP"),
        ]
    )  # fmt: skip
    (text,) = texts(events).values()
    assert json.loads(text) == {
        "a": 'x"\né',
        "b": [{"c": 1.5, "d": False}, None, None],
        "odd key.x": "y",
    }
    # going back into a closed member cannot be written forward
    with pytest.raises(ProviderError):
        run(
            [
                gemini({"functionCall": {"name": "f", "willContinue": True}}),
                gemini(fc({"jsonPath": "$.a.x", "numberValue": 1}, {"jsonPath": "$.b", "numberValue": 2})),
                gemini(fc({"jsonPath": "$.a.y", "numberValue": 3})),
            ]
        )  # fmt: skip
    with pytest.raises(ProviderError):
        run(
            [
                gemini(
                    {
                        "functionCall": {
                            "name": "f",
                            "partialArgs": [{"jsonPath": "a", "numberValue": 1}],
                        }
                    }
                )
            ]
        )


def test_gemini_cut_by_max_tokens_is_not_completed() -> None:
    events = run(
        [
            gemini({"functionCall": {"name": "f", "willContinue": True}}),
            gemini({"functionCall": {"partialArgs": [{"jsonPath": "$.a", "stringValue": "par", "willContinue": True}], "willContinue": True}}),
            gemini({"text": ""}, finish="MAX_TOKENS"),
        ]
    )  # fmt: skip
    (text,) = texts(events).values()
    assert text == '{"a":"par'  # a true prefix: nothing is made up to close it
    p = Parser()
    p.feed(text)
    with pytest.raises(IncompleteJSONError):
        p.close()
    stop = events[-1]
    assert isinstance(stop, Stopped) and stop.truncated and stop.choice == 0


# -- the API -------------------------------------------------------------------------------------


def test_detect_and_name_providers() -> None:
    assert detect_provider({"choices": []}) == "openai"
    assert detect_provider({"type": "response.created"}) == "openai-responses"
    assert detect_provider({"type": "ping"}) == "anthropic"
    assert detect_provider({"type": "tool-plan-delta"}) == "cohere"
    assert detect_provider({"messageStop": {}}) == "bedrock"
    assert detect_provider({"candidates": []}) == "gemini"
    assert detect_provider({"usage": {}}) is None
    demux = ChannelDemux()
    assert demux.provider is None and demux.feed({"usage": {}}) == []  # not telling: ignored
    assert demux.feed({"type": "message_start", "message": {}}) == []
    assert demux.provider == "anthropic"
    # a named provider reads only its own shapes
    assert run([chunk(tc(0, "a", "f", "{}"))], provider="anthropic") == []
    with pytest.raises(ValueError):
        ChannelDemux("openrouter")  # type: ignore[arg-type]


def test_errors_close_and_types() -> None:
    for error in (
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
        {"error": {"message": "Rate limit", "code": 429}},
        {"type": "error", "code": "server_error", "message": "boom"},
    ):
        demux = ChannelDemux()
        demux.feed(chunk(tc(0, "a", "f", "{")))
        with pytest.raises(ProviderError) as info:
            demux.feed(error)
        assert info.value.payload == error and info.value.partial == demux.open_channels
    demux = ChannelDemux()
    demux.feed(chunk(tc(0, "a", "f", "{")))
    (done,) = demux.close()
    assert done.eof and done.channel.id == "a" and demux.close() == []
    with pytest.raises(ProviderError):
        demux.feed(chunk())
    with pytest.raises(TypeError):
        ChannelDemux().feed('{"choices": []}')  # type: ignore[arg-type]


def test_channel_type() -> None:
    a = Channel("openai", "tool_call", 0, 1, "call_1", "f")
    b = Channel("openai", "tool_call", 0, 1, "call_1", "f")
    assert a == b and hash(a) == hash(b) and {a: 1}[b] == 1
    assert a != Channel("openai", "tool_call", 0, 1, "call_2", "f")
    assert pickle.loads(pickle.dumps(a)) == a and hash(pickle.loads(pickle.dumps(a))) == hash(a)
    assert copy.deepcopy(a) == a
    with pytest.raises(AttributeError):
        a.id = "x"  # type: ignore[misc]
    ch, text = Delta(a, "x")
    assert (ch, text) == (a, "x")


def test_docstrings() -> None:
    assert doctest.testmod(providers).failed == 0


def test_bedrock_stream_exception() -> None:
    error = {"throttlingException": {"message": "Too many requests"}}
    assert detect_provider(error) == "bedrock"
    with pytest.raises(ProviderError, match="Too many requests"):
        run([{"messageStart": {"role": "assistant"}}, error])
    with pytest.raises(ProviderError):
        run([error])


def test_parse_json_path() -> None:
    assert parse_json_path("$") == ()
    assert parse_json_path("$.a.b[0][12]") == ("a", "b", 0, 12)
    assert parse_json_path("$['a.b'][\"c]\"]['it\\'s'].0") == ("a.b", "c]", "it's", "0")
    for bad in ("a.b", "$.", "$[x]", "$.a[", 7):
        with pytest.raises(ValueError):
            parse_json_path(bad)


def path_args(value: Any, path: str, rnd: random.Random) -> Iterator[dict[str, Any]]:
    """``value`` as Gemini partialArgs, in document order; strings in random pieces."""
    if isinstance(value, dict) and value:
        for k, v in value.items():
            step = (
                f".{k}"
                if re.fullmatch(r"\w+", k)
                else "['" + re.sub(r"(['\\\\])", r"\\\1", k) + "']"
            )
            yield from path_args(v, path + step, rnd)
    elif isinstance(value, list) and value:
        for i, v in enumerate(value):
            yield from path_args(v, f"{path}[{i}]", rnd)
    elif isinstance(value, str):
        cuts = sorted(rnd.sample(range(len(value) + 1), min(len(value) + 1, rnd.randint(0, 3))))
        pieces = [value[a:b] for a, b in itertools.pairwise([0, *cuts, len(value)])]
        for n, piece in enumerate(pieces):
            arg: dict[str, Any] = {"jsonPath": path, "stringValue": piece}
            if n < len(pieces) - 1:
                arg["willContinue"] = True
            yield arg
    elif value is None:
        yield {"jsonPath": path, "nullValue": None}
    elif isinstance(value, bool):
        yield {"jsonPath": path, "boolValue": value}
    elif isinstance(value, (int, float)):
        yield {"jsonPath": path, "numberValue": value}
    elif path != "$":  # an empty object or array: no leaf to address inside it
        yield {"jsonPath": path, ("structValue" if isinstance(value, dict) else "listValue"): value}


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(max_size=6), json_values, max_size=5), st.integers(0, 2**32))
def test_json_path_writer_roundtrip(args: dict[str, Any], seed: int) -> None:
    """Any arguments, sent as partialArgs (strings cut anywhere), are written back exactly, and
    every prefix of the text is a prefix a parser accepts."""
    w = JSONPathWriter()
    pieces = [w.add(a) for a in path_args(args, "$", random.Random(seed))] + [w.finish()]
    assert json.loads("".join(pieces)) == args
    p = Parser()
    for piece in pieces:
        p.feed(piece)
    assert p.close() == args
