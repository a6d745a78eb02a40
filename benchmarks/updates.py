"""Raw SSE bytes -> the partial value of every channel after every event: ``midstream.updates``
against what users of the SDKs run today, same process, same recorded bodies.

Input: every recorded raw SSE body of the LLM-stream corpus (``tests/data/llm-streams/*.sse``,
else ``../shared/corpus/llm-streams/*.sse``): 26 OpenAI chat bodies, 6 Anthropic bodies, each
cut into chunks of a fixed size (as they come off a socket).

Rows, per provider (the HTTP client itself is left out of every row):

* ``midstream``: ``for u in updates(chunks): u.value`` -- SSE decoding, JSON of each payload,
  channels, one parser per channel (prose and fences skipped in text channels), the partial
  value of the channel after every event.
* ``of which SSE + JSON + channels``: the layers under the parsers alone (``SSEDecoder``,
  ``orjson``, ``ChannelDemux``): the part of the first row the parsers do not account for.
* ``midstream over SDK objects``: the same, fed the SDK's event objects (``to_dict()``): what it
  would cost if ``updates`` did not read an SDK stream's body itself (the SDK's decoding and
  object building are in the row).
* ``openai ChatCompletionStreamState``: the machinery of ``client.chat.completions.stream()``:
  the SDK's SSE decoder on the bytes, ``json`` of each event, a ``ChatCompletionChunk`` built
  as the SDK builds it (``construct_type``), ``state.handle_chunk(chunk)`` and its events, the
  snapshot read. Given a rich ``response_format`` and strict ``input_tools`` for every tool
  name, so that it too keeps a parsed partial value of every channel (``message.parsed``,
  ``function.parsed_arguments``). A body that stops for ``length`` raises the SDK's
  ``LengthFinishReasonError`` at its end (caught: the work is done).
* ``anthropic accumulate_event``: the machinery of ``client.messages.stream()``
  (``MessageStream``): the SDK's SSE decoder, ``json``, a ``RawMessageStreamEvent`` built as the
  SDK builds it, ``accumulate_event`` (partial tool input re-parsed from the whole buffer on each
  delta; text blocks appended, not parsed), the snapshot read.
* ``SDK decoding + objects only``: the first steps of the two rows above, without the state:
  the floor of anything that starts from the SDK's objects.

Timing: the least CPU time of several interleaved rounds (``best_of_interleaved``), reported as
µs per SSE event and the ratio to ``midstream``. Run::

    MIDSTREAM_ENGINE=python .venv/bin/python -m benchmarks.updates   # --chunk 256 --runs 15

(``updates`` unwraps text channels with ``Parser(trailing="ignore")``, which the compiled
engine takes once it has ``trailing``; ``--engine`` chooses.)
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from midstream.integrations.updates import updates
from support.corpus import STREAMS


def corpus_dir() -> Path:
    """The recorded LLM streams (tests/data/llm-streams)."""
    return STREAMS


def chunked(body: bytes, size: int) -> list[bytes]:
    return [body] if size <= 0 else [body[k : k + size] for k in range(0, len(body), size)]


# -- midstream ---------------------------------------------------------------------------------


def run_midstream(streams: list[list[bytes]], engine: str | None) -> int:
    n = 0
    for chunks in streams:
        try:
            for u in updates(chunks, engine=engine):
                u.value  # noqa: B018  (the partial value, read: live, so free)
                n += 1
        except ValueError:  # IncompleteStreamError: a body cut by max_tokens / length
            pass
    return n


def run_midstream_layers(streams: list[list[bytes]]) -> int:
    """The layers under the parsers: SSE decoding, JSON of each payload, channels."""
    from midstream.integrations.providers import ChannelDemux
    from midstream.integrations.sse import SSEDecoder
    from midstream.integrations.updates import _loads

    n = 0
    for chunks in streams:
        sse, demux = SSEDecoder(), ChannelDemux()
        for chunk in chunks:
            for ev in sse.feed(chunk):
                if ev.data != "[DONE]":
                    n += len(demux.feed(_loads(ev.data)))
        for ev in sse.close():
            n += len(demux.feed(_loads(ev.data)))
        demux.close()
    return n


def sdk_objects(provider: str, chunks: list[bytes]) -> Iterator[Any]:
    """The SDK's event objects, made from the bytes as the SDK's Stream makes them."""
    if provider == "openai":
        from openai._models import construct_type
        from openai._streaming import SSEDecoder
        from openai.types.chat import ChatCompletionChunk

        for sse in SSEDecoder().iter_bytes(iter(chunks)):
            if sse.data.startswith("[DONE]"):
                break
            yield construct_type(type_=ChatCompletionChunk, value=json.loads(sse.data))
    else:
        from anthropic._models import construct_type
        from anthropic._streaming import SSEDecoder as ASSEDecoder
        from anthropic.types import RawMessageStreamEvent

        for sse in ASSEDecoder().iter_bytes(iter(chunks)):
            if sse.event in (None, "ping") or not sse.data:
                continue
            yield construct_type(type_=RawMessageStreamEvent, value=json.loads(sse.data))


def run_midstream_objects(provider: str, streams: list[list[bytes]], engine: str | None) -> int:
    n = 0
    for chunks in streams:
        try:
            for u in updates(sdk_objects(provider, chunks), engine=engine):
                u.value  # noqa: B018
                n += 1
        except ValueError:
            pass
    return n


def run_sdk_objects_only(provider: str, streams: list[list[bytes]]) -> int:
    n = 0
    for chunks in streams:
        for _ in sdk_objects(provider, chunks):
            n += 1
    return n


# -- the SDKs' own accumulation ------------------------------------------------------------------


def openai_state_args(bodies: list[bytes]) -> dict[str, Any]:
    """A rich response_format and a strict tool per name: the state parses every channel."""
    from pydantic import BaseModel, ConfigDict

    class Anything(BaseModel):
        model_config = ConfigDict(extra="allow")

    names = set()
    for body in bodies:
        for line in body.decode("utf-8").splitlines():
            if line.startswith("data: {"):
                for c in json.loads(line[6:]).get("choices") or ():
                    for tc in (c.get("delta") or {}).get("tool_calls") or ():
                        name = (tc.get("function") or {}).get("name")
                        if name:
                            names.add(name)
    tools = [
        {
            "type": "function",
            "function": {"name": name, "parameters": {"type": "object"}, "strict": True},
        }
        for name in sorted(names)
    ]
    return {"response_format": Anything, "input_tools": tools}


def run_openai_state(streams: list[list[bytes]], state_args: dict[str, Any]) -> int:
    from openai import LengthFinishReasonError
    from openai.lib.streaming.chat import ChatCompletionStreamState

    n = 0
    for chunks in streams:
        state: Any = ChatCompletionStreamState(**state_args)
        try:
            for chunk in sdk_objects("openai", chunks):
                for _ in state.handle_chunk(chunk):
                    pass
                state.current_completion_snapshot  # noqa: B018
                n += 1
        except LengthFinishReasonError:
            pass
    return n


def run_anthropic_accumulate(streams: list[list[bytes]]) -> int:
    """MessageStream.__stream__'s work per event: accumulate_event, then build_events."""
    from anthropic.lib.streaming._messages import accumulate_event, build_events

    n = 0
    for chunks in streams:
        snapshot: Any = None
        bufs: dict[int, bytes] = {}
        for event in sdk_objects("anthropic", chunks):
            snapshot = accumulate_event(event=event, current_snapshot=snapshot, json_bufs=bufs)
            for _ in build_events(event=event, message_snapshot=snapshot):
                pass
            n += 1
    return n


# -- long tool arguments: how the costs grow -------------------------------------------------------


def long_arguments(n: int) -> str:
    items = [{"city": f"city {i}", "temperature": i % 40, "tags": ["a", "b"]} for i in range(n)]
    return json.dumps({"cities": items})


def openai_tool_body(args: str, piece: int = 6) -> bytes:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        c = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": "m",
             "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}  # fmt: skip
        return f"data: {json.dumps(c)}\n\n"

    out = [chunk({"role": "assistant", "tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                  "function": {"name": "cities", "arguments": ""}}]})]  # fmt: skip
    for i in range(0, len(args), piece):
        out.append(
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": args[i : i + piece]}}]})
        )
    out.append(chunk({}, "tool_calls") + "data: [DONE]\n\n")
    return "".join(out).encode()


def anthropic_tool_body(args: str, piece: int = 6) -> bytes:
    events = [
        {"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant",
         "model": "m", "content": [], "stop_reason": None, "stop_sequence": None,
         "usage": {"input_tokens": 1, "output_tokens": 1}}},
        {"type": "content_block_start", "index": 0,
         "content_block": {"type": "tool_use", "id": "toolu_1", "name": "cities", "input": {}}},
        *({"type": "content_block_delta", "index": 0,
           "delta": {"type": "input_json_delta", "partial_json": args[i : i + piece]}}
          for i in range(0, len(args), piece)),
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
         "usage": {"output_tokens": 9}},
        {"type": "message_stop"},
    ]  # fmt: skip
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events).encode()


# -- checks and timing -----------------------------------------------------------------------------


def same_final_values(provider: str, streams: list[list[bytes]], engine: str | None) -> None:
    """Both sides end with the same tool arguments (the channels both parse)."""
    for chunks in streams:
        ours = []
        try:
            for u in updates(chunks, engine=engine):
                if u.done and u.channel.kind in ("tool_call", "tool_use"):
                    ours.append(u.result)
        except ValueError:
            continue
        if provider == "anthropic":
            from anthropic.lib.streaming._messages import accumulate_event

            snap: Any = None
            bufs: dict[int, bytes] = {}
            for event in sdk_objects("anthropic", chunks):
                snap = accumulate_event(event=event, current_snapshot=snap, json_bufs=bufs)
            theirs = [b.input for b in snap.content if b.type == "tool_use"]
            assert ours == theirs, (ours, theirs)


def best_of_interleaved(fns: list[Callable[[], int]], runs: int) -> list[float]:
    """The least CPU time of each function over ``runs`` rounds, the functions alternating."""
    times = [float("inf")] * len(fns)
    for _ in range(runs):
        for i, fn in enumerate(fns):
            gc.collect()
            t = time.process_time()
            fn()
            times[i] = min(times[i], time.process_time() - t)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--chunk", type=int, default=256, help="chunk size in bytes; 0 = whole body")
    ap.add_argument("--engine", default=None, help="midstream engine (default: MIDSTREAM_ENGINE)")
    args = ap.parse_args()
    d = corpus_dir()
    groups = {
        "openai": sorted(d.glob("openai-chat__*.sse")),
        "anthropic": sorted(d.glob("anthropic-messages__*.sse")),
    }
    import midstream

    engine = args.engine or midstream.ENGINE
    print(f"corpus: {d}; chunks of {args.chunk or 'whole'} B; engine {engine}; best of {args.runs}")
    for provider, paths in groups.items():
        bodies = [p.read_bytes() for p in paths]
        # a small corpus is timed several times over in each run (steadier on a busy machine)
        reps = max(1, 200_000 // sum(map(len, bodies)))
        streams = [chunked(b, args.chunk) for b in bodies] * reps
        events = run_sdk_objects_only(provider, streams)
        same_final_values(provider, streams[: len(bodies)], engine)
        rows: list[tuple[str, Callable[[], int]]] = [
            ("midstream updates(bytes)", partial(run_midstream, streams, engine)),
            (
                "midstream over SDK objects",
                partial(run_midstream_objects, provider, streams, engine),
            ),
        ]
        rows.insert(1, ("  of which SSE + JSON + channels", partial(run_midstream_layers, streams)))
        if provider == "openai":
            state_args = openai_state_args(bodies)
            rows.append(
                (
                    "openai ChatCompletionStreamState",
                    partial(run_openai_state, streams, state_args),
                )
            )
        else:
            rows.append(("anthropic accumulate_event", partial(run_anthropic_accumulate, streams)))
        rows.append(
            ("SDK decoding + objects only", partial(run_sdk_objects_only, provider, streams))
        )
        times = best_of_interleaved([fn for _, fn in rows], args.runs)
        print(
            f"\n{provider}: {len(bodies)} bodies, {sum(map(len, bodies))} bytes,"
            f" {events // reps} events (timed {reps} times over in each run)"
        )
        print(f"  {'':34} {'µs/event':>9} {'× midstream':>12}")
        for (label, _), t in zip(rows, times, strict=True):
            print(f"  {label:34} {t / events * 1e6:9.2f} {t / times[0]:11.1f}x")

    print("\nlong tool arguments (one call, 6-character deltas): ms per stream, × midstream")
    print(f"  {'arguments':>10} {'provider':>10} {'midstream':>10} {'SDK':>10} {'ratio':>8}")
    for n in (10, 100, 1000):
        text = long_arguments(n)
        for provider, make in (("openai", openai_tool_body), ("anthropic", anthropic_tool_body)):
            body = make(text)
            streams = [chunked(body, args.chunk)]
            if provider == "openai":
                sdk = partial(run_openai_state, streams, openai_state_args([body]))
            else:
                sdk = partial(run_anthropic_accumulate, streams)
            runs = max(3, args.runs // (1 + n // 100))
            t_ours, t_sdk = best_of_interleaved(
                [partial(run_midstream, streams, engine), sdk], runs
            )
            print(
                f"  {len(text):9d}B {provider:>10} {t_ours * 1e3:10.2f} {t_sdk * 1e3:10.2f}"
                f" {t_sdk / t_ours:7.1f}x"
            )


if __name__ == "__main__":
    main()
