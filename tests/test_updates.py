"""midstream.updates / aupdates: every recorded stream, whole, split anywhere, and cut anywhere.

The corpus names each JSON-bearing channel of every recording with its assembled text: each
must come out of ``updates`` with exactly that value (from the payloads, and from the raw SSE
body split at random places). Cut at any payload boundary or byte, a stream must raise nothing
but :class:`IncompleteStreamError`, every partial value must be a prefix (in the partial-value
sense) of the final one, and no cut channel may be reported complete.
"""

from __future__ import annotations

import asyncio
import copy
import json
import pickle
import random
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest
from pydantic import BaseModel

import midstream
from midstream import IncompleteJSONError, ParseError, StreamValidationError, parse_partial
from midstream.integrations.providers import Channel, ProviderError
from midstream.integrations.sse import iter_sse
from midstream.integrations.updates import (
    IncompleteStreamError,
    Update,
    Updater,
    aupdates,
    updates,
)
from support.corpus import random_splits
from tests.replay_server import INDEX, STREAMS, recorded_body
from tests.test_providers import matcher

NAMES = [s["name"] for s in INDEX]
SSE_NAMES = [n for n in NAMES if (STREAMS / f"{n}.sse").is_file()]
TRUNCATED = {
    "openai-chat__openai-python__parse_max_tokens_reached__2024-08-07": "length",
    "openai-chat__openai-python__parse_max_tokens_reached__2024-09-26": "length",
    "anthropic-messages__anthropic-sdk-python__incomplete_partial_json_response": "max_tokens",
}


def payloads(name: str) -> list[dict[str, Any]]:
    lines = (STREAMS / f"{name}.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@dataclass
class Run:
    """Everything one pass of ``updates`` gave: the updates, a snapshot of each value, the
    text and final value of each channel, the error that ended it."""

    updates: list[Update] = field(default_factory=list)
    snapshots: list[Any] = field(default_factory=list)
    texts: dict[Channel, str] = field(default_factory=dict)
    results: dict[Channel, Any] = field(default_factory=dict)
    error: IncompleteStreamError | None = None

    def add(self, u: Update) -> None:
        self.updates.append(u)
        self.snapshots.append(copy.deepcopy(u.value))
        self.texts[u.channel] = self.texts.get(u.channel, "") + u.delta
        if u.done:
            assert u.channel not in self.results, "done twice"
            self.results[u.channel] = u.result

    def last(self, ch: Channel) -> Any:
        """The channel's final value in this run: done, or last seen."""
        if ch in self.results:
            return self.results[ch]
        snaps = [s for u, s in zip(self.updates, self.snapshots, strict=True) if u.channel == ch]
        return snaps[-1] if snaps else None

    def key(self) -> list[tuple[Any, ...]]:
        return [
            (u.channel, u.delta, u.done, s, u.result, u.stop_reason)
            for u, s in zip(self.updates, self.snapshots, strict=True)
        ]


def run(source: Any, **kw: Any) -> Run:
    r = Run()
    try:
        for u in updates(source, **kw):
            r.add(u)
    except IncompleteStreamError as e:
        r.error = e
    return r


def grows(a: Any, b: Any) -> bool:
    """``a`` is a prefix of ``b`` under the partial-value contract: containers hold a prefix
    of the members, all complete but the last, which grows; strings are prefixes; numbers
    and literals appear only complete."""
    if a is None:
        return True
    if isinstance(a, str):
        return isinstance(b, str) and b.startswith(a)
    if isinstance(a, list):
        if not isinstance(b, list) or len(a) > len(b):
            return False
        if not a:
            return True
        return a[:-1] == b[: len(a) - 1] and grows(a[-1], b[len(a) - 1])
    if isinstance(a, dict):
        keys = list(a)
        if not isinstance(b, dict) or keys != list(b)[: len(keys)]:
            return False
        return all(a[k] == b[k] for k in keys[:-1]) and (
            not keys or grows(a[keys[-1]], b[keys[-1]])
        )
    return type(a) is type(b) and a == b


def channel_named(entry: dict[str, Any], channel_name: str, channels: Iterable[Channel]) -> Channel:
    found = [c for c in channels if matcher(entry["api"], channel_name)(c)]
    assert len(found) == 1, (channel_name, list(channels))
    return found[0]


def check_recorded(name: str, r: Run) -> None:
    """Every recorded channel came out with exactly its assembled text and value."""
    entry = next(s for s in INDEX if s["name"] == name)
    for spec in entry["json_channels"]:
        ch = channel_named(entry, spec["channel"], r.texts)
        recorded = (STREAMS / spec["file"]).read_text("utf-8")
        if spec["file"].endswith(".json"):
            assert r.texts[ch] == recorded, spec["channel"]
            assert r.results[ch] == json.loads(recorded), spec["channel"]
        elif recorded == "":  # a tool without arguments: its input "{}" from the block start
            assert r.texts[ch] == "{}" and r.results[ch] == {}
        else:  # cut short by the token limit: the same text, a partial value, an error
            assert r.texts[ch] == recorded
            assert ch not in r.results
            assert r.error is not None and ch in r.error.partials
            assert r.error.partials[ch] == parse_partial(recorded)
    if name in TRUNCATED:
        assert r.error is not None and r.error.stop_reason == TRUNCATED[name]
        assert r.error.partial == r.error.partials[r.error.channel]  # type: ignore[index]
    else:
        assert r.error is None


def check_growth(r: Run) -> None:
    """Per channel: each snapshot a prefix of the next and of the final value; one done."""
    last: dict[Channel, Any] = {}
    for u, snap in zip(r.updates, r.snapshots, strict=True):
        if u.channel in last:
            assert grows(last[u.channel], snap), (last[u.channel], snap)
        last[u.channel] = snap
    for u, snap in zip(r.updates, r.snapshots, strict=True):
        final = r.last(u.channel)
        if final is not None:
            assert grows(snap, final)


# -- every recorded stream ----------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_every_channel_from_payloads(name: str) -> None:
    r = run(payloads(name))
    check_recorded(name, r)
    check_growth(r)
    for u in r.updates:  # the value is live: the parser's own object, not a copy
        if u.done and isinstance(u.value, (dict, list)):
            assert u.value is u.result


@pytest.mark.parametrize("name", SSE_NAMES)
def test_raw_bodies_split_anywhere(name: str) -> None:
    """Raw SSE bytes cut at random places (inside UTF-8 sequences, CRLFs, fields) and as text
    give the same updates as the payloads."""
    expected = run(payloads(name)).key()
    body = (STREAMS / f"{name}.sse").read_bytes()
    for seed in range(3):
        chunks = random_splits(body, f"{name}-{seed}", max_len=[3, 17, 200][seed])
        assert run(iter(chunks)).key() == expected
    assert run(body).key() == expected
    assert run(body.decode("utf-8")).key() == expected
    assert run(iter_sse([body])).key() == expected  # SSE events


@pytest.mark.parametrize("name", [n for n in NAMES if n not in SSE_NAMES])
def test_framed_bodies(name: str) -> None:
    """The streams without a recorded body, framed as SSE around their payloads."""
    body = recorded_body(name)
    expected = run(payloads(name)).key()
    assert run(random_splits(body, name, max_len=50)).key() == expected


# -- cut anywhere -------------------------------------------------------------------------------


def positions(n: int, name: str, most: int = 48) -> list[int]:
    if n <= most:
        return list(range(n))
    rnd = random.Random(name)
    return sorted({0, n - 1, *range(0, n, n // (most // 2)), *rnd.sample(range(n), most // 2)})


def check_cut(full: Run, cut: Run) -> None:
    """A cut run against the whole one: prefixes only; complete only where truly complete."""
    for ch, result in cut.results.items():
        if result is not None or full.results.get(ch) is not None:
            assert ch in full.results and result == full.results[ch], ch
    for u, snap in zip(cut.updates, cut.snapshots, strict=True):
        final = full.last(u.channel)
        if final is not None:
            assert grows(snap, final), (snap, final)
    if cut.error is not None:
        assert isinstance(cut.error, IncompleteJSONError)
        assert cut.error.partials and cut.error.channel in cut.error.partials
        for ch, partial in cut.error.partials.items():
            assert ch not in cut.results  # a cut channel is never done ...
            final = full.last(ch)
            if final is not None:
                assert grows(partial, final)  # ... and its partial value is kept
            if partial == {} and ch in full.results:
                assert full.results[ch] == {} or full.texts[ch] != cut.texts.get(ch, "")


@pytest.mark.parametrize("name", NAMES)
def test_cut_at_payload_boundaries(name: str) -> None:
    items = payloads(name)
    full = run(items)
    for k in positions(len(items), name):
        check_cut(full, run(items[:k]))


@pytest.mark.parametrize("name", SSE_NAMES)
def test_cut_at_byte_positions(name: str) -> None:
    body = (STREAMS / f"{name}.sse").read_bytes()
    full = run(body)
    for k in positions(len(body), name, most=64):
        check_cut(full, run(random_splits(body[:k], k, max_len=64)))


def test_cut_stream_reports_the_stop_reason_and_every_partial() -> None:
    name = "anthropic-messages__anthropic-sdk-python__incomplete_partial_json_response"
    r = run(payloads(name))
    assert r.error is not None
    e = r.error
    assert e.stop_reason == "max_tokens" and e.channel is not None
    assert (e.channel.kind, e.channel.name) == ("tool_use", "make_file")
    assert e.partial["filename"] == "taxes.txt"
    assert e.partial == r.snapshots[-1]  # the last update carried the same partial value
    assert "max_tokens" in str(e)
    clone = pickle.loads(pickle.dumps(e))
    assert (clone.channel, clone.stop_reason, clone.partials) == (
        e.channel,
        e.stop_reason,
        e.partials,
    )
    # an OpenAI choice cut by "length": the stop reason is on its last update already
    name = "openai-chat__openai-python__parse_max_tokens_reached__2024-08-07"
    r = run(payloads(name))
    assert r.error is not None and r.error.stop_reason == "length" and r.error.partial == {}
    assert not r.results


def test_a_number_at_a_connection_drop_is_not_complete() -> None:
    chunk = {"choices": [{"index": 0, "delta": {"content": "12"}}]}
    r = run([chunk], unwrap=False)
    assert r.error is not None and r.error.partial is None and not r.results
    r = run(
        [chunk, {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}], unwrap=False
    )
    assert r.error is None and list(r.results.values()) == [12]


def test_cut_tool_arguments_never_become_an_empty_object() -> None:
    start = {"type": "content_block_start", "index": 0,
             "content_block": {"type": "tool_use", "id": "t", "name": "f", "input": {}}}  # fmt: skip
    delta = {"type": "content_block_delta", "index": 0,
             "delta": {"type": "input_json_delta", "partial_json": '{"a": [1, '}}  # fmt: skip
    message = {"type": "message_start", "message": {"id": "m", "content": []}}
    r = run([message, start])  # cut before any argument
    assert r.error is not None and r.error.partial is None and not r.results
    r = run([message, start, delta])
    assert r.error is not None and r.error.partial == {"a": [1]} and not r.results
    stop = {"type": "content_block_stop", "index": 0}
    r = run([message, start, stop])  # a tool without arguments: "{}" from the block start
    assert r.error is None and list(r.results.values()) == [{}]


# -- channels: text, prose, fences, refusals, tools ---------------------------------------------


def chat(*deltas: dict[str, Any], finish: str | None = "stop", choice: int = 0) -> list[Any]:
    items: list[Any] = [{"choices": [{"index": choice, "delta": d}]} for d in deltas]
    if finish:
        items.append({"choices": [{"index": choice, "delta": {}, "finish_reason": finish}]})
    return items


def content(text: str, *, cut_every: int = 0) -> list[Any]:
    pieces = (
        [text]
        if not cut_every
        else [text[i : i + cut_every] for i in range(0, len(text), cut_every)]
    )
    return chat(*({"content": p} for p in pieces))


FENCED = 'Here you go:\n```json\n{"city": "Paris", "tags": ["a", "b"]}\n```\nAnything else? {x}'


class City(BaseModel):
    city: str
    tags: list[str]


def needs_early_validation() -> None:
    """ModelParser checks each part as it closes, on every engine: that is what these tests
    rely on (a failure here says so rather than each test failing its own way)."""
    assert midstream.ModelParser(list[list[int]]).feed("[[1],"), f"no early parts on {midstream.ENGINE}"


@pytest.mark.parametrize("every", [0, 1, 2, 3, 5, 8])
@pytest.mark.parametrize("model", [None, City])
def test_prose_and_fence_around_the_value(every: int, model: Any) -> None:
    r = run(content(FENCED, cut_every=every), model=model)
    assert r.error is None
    [(ch, result)] = r.results.items()
    expected = {"city": "Paris", "tags": ["a", "b"]}
    assert result == (expected if model is None else City(**expected))
    assert r.texts[ch] == FENCED  # every delta is reported, the prose too
    done = [u for u in r.updates if u.done]
    assert len(done) == 1 and done[0].value == expected
    start, seen = FENCED.index('{"city"'), 0
    for u in r.updates:  # nothing before the value begins
        seen += len(u.delta)
        if seen <= start:
            assert u.value is None
    after = r.updates[r.updates.index(done[0]) + 1 :]
    assert all(not u.done and u.value == expected for u in after)  # the tail: value unchanged
    if model is not None:
        needs_early_validation()
        assert any(u.validated for u in r.updates)


def test_done_comes_with_the_delta_that_completes_the_value() -> None:
    items = chat({"content": '{"a"'}, {"content": ": 1}"}, {"content": "\n"})
    r = run(items)
    assert [(u.delta, u.done, u.stop_reason) for u in r.updates] == [
        ('{"a"', False, None),
        (": 1}", True, None),
        ("\n", False, None),
    ]
    it = updates(items)
    assert list(it) and it.stop_reason == "stop" and it.provider == "openai"


def test_prose_text_channels_are_not_an_error() -> None:
    """Anthropic's narration around tool calls: prose, even with brackets, is no error."""
    go_code = "Like this:\n```go\ntype Result struct {\n    Value any\n}\n```\nDone."
    for text in ("I'll check the weather for you.", go_code):
        r = run(content(text, cut_every=4))
        [(ch, result)] = r.results.items()
        assert result is None and r.error is None
        assert r.updates[-1].done and r.updates[-1].delta == "" and r.updates[-1].value is None
        assert r.texts[ch] == text
    # strict when asked: unwrap=False, or a model
    with pytest.raises(ParseError):
        run(content(go_code), unwrap=False)
    with pytest.raises(ParseError):
        run(content(go_code), model=City)
    r = run(content("No JSON here."), model=City)
    assert r.error is not None and r.error.partial is None  # the value never began


def test_refusal_is_text() -> None:
    r = run(chat({"refusal": "I can't "}, {"refusal": "help."}), model=City)
    assert [(u.channel.kind, u.value, u.delta, u.done) for u in r.updates] == [
        ("refusal", None, "I can't ", False),
        ("refusal", None, "help.", False),
        ("refusal", None, "", True),
    ]
    assert r.updates[-1].stop_reason == "stop"


def test_tool_arguments_are_strict_and_not_unwrapped() -> None:
    def call(args: str) -> list[Any]:
        return chat(
            {"tool_calls": [{"index": 0, "id": "c", "function": {"name": "f", "arguments": args}}]},
            finish="tool_calls",
        )

    with pytest.raises(ParseError):
        run(call('```json\n{"a": 1}\n```'))
    assert list(run(call('```json\n{"a": 1}\n```'), unwrap=True).results.values()) == [{"a": 1}]
    with pytest.raises(ParseError):
        run(call('{"a": 1} trailing'))
    assert list(run(call('{"a": 1}  \n')).results.values()) == [{"a": 1}]


class Weather(BaseModel):
    city: str
    units: Literal["c", "f"]


class Stock(BaseModel):
    ticker: str
    exchange: str


def test_parallel_tool_calls_have_their_own_parsers_and_models() -> None:
    name = "openai-chat__openai-python__parse_multiple_pydantic_tools__2024-08-06"
    r = run(payloads(name), tools={"GetWeatherArgs": Weather, "get_stock_price": Stock})
    by_name = {ch.name: result for ch, result in r.results.items()}
    assert by_name == {
        "GetWeatherArgs": Weather(city="Edinburgh", units="c"),
        "get_stock_price": Stock(ticker="AAPL", exchange="NASDAQ"),
    }
    # the deltas of the two calls interleave with nothing shared
    values = {u.channel.name: u.value for u in r.updates}
    assert values["GetWeatherArgs"] is not values["get_stock_price"]


class Location(BaseModel):
    city: str
    temperature: float
    units: Literal["c", "f"]


@pytest.mark.parametrize(
    "name", [n for n in NAMES if "parse_pydantic_model" in n and n.startswith("openai-chat")]
)
def test_model_on_recorded_content(name: str) -> None:
    r = run(payloads(name), model=Location)
    check_recorded_model(name, r)


def check_recorded_model(name: str, r: Run) -> None:
    entry = next(s for s in INDEX if s["name"] == name)
    for spec in entry["json_channels"]:
        ch = channel_named(entry, spec["channel"], r.texts)
        recorded = (STREAMS / spec["file"]).read_text("utf-8")
        assert r.results[ch] == Location.model_validate_json(recorded)
        done = next(u for u in r.updates if u.channel == ch and u.done)
        assert done.value == json.loads(recorded)  # value: the raw JSON, result: the model


# -- validation failures and cancellation -------------------------------------------------------


class Pulled:
    """A source that counts what was taken from it and whether it was closed."""

    def __init__(self, items: list[Any]) -> None:
        self.items = items
        self.taken = 0
        self.closed = False

    def __iter__(self) -> Iterator[Any]:
        try:
            for item in self.items:
                self.taken += 1
                yield item
        finally:
            self.closed = True


def long_array(n: int, bad: int) -> list[Any]:
    """An OpenAI chat stream of a JSON array of n objects, the one at ``bad`` invalid."""
    items = [{"city": f"c{i}", "tags": ["x"] if i != bad else "x"} for i in range(n)]
    text = json.dumps(items)
    return content(text, cut_every=7)


def test_validation_failure_stops_reading_and_closes_the_source() -> None:
    needs_early_validation()
    src = Pulled(long_array(1000, bad=20))
    got: list[Update] = []
    with pytest.raises(StreamValidationError) as info:
        for u in updates(iter(src), model=list[City]):
            got.append(u)
    assert src.closed and src.taken < len(src.items) // 20
    e = info.value
    assert tuple(e.path)[:1] == (20,) and 0 < e.consumed <= sum(len(u.delta) for u in got) + 7
    assert got and got[-1].value[19] == {"city": "c19", "tags": ["x"]}


def test_leaving_the_loop_closes_the_source() -> None:
    src = Pulled(long_array(1000, bad=-1))
    it = updates(iter(src))
    for i, _ in enumerate(it):
        if i == 10:
            break
    it.close()
    assert src.closed and src.taken == 11
    src = Pulled(long_array(1000, bad=-1))
    with updates(iter(src)) as it:
        next(iter(it))
    assert src.closed
    # closed before it was started: the source is closed too
    gen = iter(Pulled(long_array(10, bad=-1)))
    updates(gen).close()
    with pytest.raises(StopIteration):
        next(gen)


def test_done_marker_ends_the_reading() -> None:
    body = b'data: {"choices": [{"index": 0, "delta": {"content": "[1]"}}]}\n\ndata: [DONE]\n\n'
    src = Pulled([body, b"data: not json\n\n", b"more"])
    r = run(iter(src))
    assert src.taken == 1 and src.closed and list(r.results.values()) == [[1]]


def test_provider_errors_and_bad_payload_data() -> None:
    with pytest.raises(ProviderError):
        run([{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}])
    with pytest.raises(ProviderError):
        run([b"data: {oops}\n\n"])


def test_updates_made_before_an_error_in_the_same_chunk_are_delivered() -> None:
    good = {"choices": [{"index": 0, "delta": {"tool_calls": [
        {"index": 0, "id": "a", "function": {"name": "f", "arguments": '{"x": 1}'}}]}}]}  # fmt: skip
    bad = {"choices": [{"index": 0, "delta": {"tool_calls": [
        {"index": 1, "id": "b", "function": {"name": "g", "arguments": "{oops"}}]}}]}  # fmt: skip
    body = f"data: {json.dumps(good)}\n\ndata: {json.dumps(bad)}\n\n".encode()
    got = []
    with pytest.raises(ParseError):
        for u in updates(body):
            got.append(u)
    assert [(u.channel.name, u.done) for u in got] == [("f", True)]


# -- the sans-I/O core, async, the lazy names ---------------------------------------------------


def test_updater_is_sans_io() -> None:
    u = Updater(model=City)
    out = u.feed_body(b'data: {"choices": [{"index": 0, "delta": {"content": "{\\"city\\": \\"P')
    assert out == []
    out = u.feed_body(b'"}}]}\n\n')
    assert [(x.value, x.done) for x in out] == [({"city": "P"}, False)]
    with pytest.raises(IncompleteStreamError) as info:
        u.close()
    partial = info.value.partial  # the typed partial value: fields not received are not set
    assert isinstance(partial, City) and partial.city == "P" and partial.model_fields_set == {"city"}
    assert u.payloads == 1 and u.provider == "openai"


async def agen(items: Iterable[Any]) -> AsyncIterator[Any]:
    for item in items:
        await asyncio.sleep(0)
        yield item


@pytest.mark.parametrize("name", SSE_NAMES[::4])
def test_aupdates_equals_updates(name: str) -> None:
    body = (STREAMS / f"{name}.sse").read_bytes()
    expected = run(body).key()

    async def main() -> list[Any]:
        r = Run()
        try:
            async for u in aupdates(agen(random_splits(body, name, max_len=30))):
                r.add(u)
        except IncompleteStreamError as e:
            r.error = e
        return r.key()

    assert asyncio.run(main()) == expected


def test_aupdates_closes_the_source() -> None:
    closed: list[bool] = []

    async def source() -> AsyncIterator[Any]:
        try:
            for item in long_array(500, bad=30):
                yield item
        finally:
            closed.append(True)

    async def main() -> None:
        with pytest.raises(StreamValidationError):
            async for _ in aupdates(source(), model=list[City]):
                pass
        assert closed
        async with aupdates(agen(long_array(10, bad=-1))) as it:
            async for _ in it:
                break

    asyncio.run(main())


def test_lazy_names() -> None:
    assert midstream.updates is updates and midstream.aupdates is aupdates
    assert midstream.Update is Update


def test_stop_reasons_by_choice_in_one_payload() -> None:
    items = [
        {"choices": [{"index": 0, "delta": {"content": "[1"}}, {"index": 1, "delta": {"content": "[2"}}]},
        {"choices": [
            {"index": 0, "delta": {"content": "]"}, "finish_reason": "stop"},
            {"index": 1, "delta": {"content": ", 3"}, "finish_reason": "length"},
        ]},
    ]  # fmt: skip
    r = run(items)
    done = [u for u in r.updates if u.done]
    assert [(u.channel.choice, u.result, u.stop_reason) for u in done] == [(0, [1], "stop")]
    assert r.error is not None and r.error.channel is not None
    assert (r.error.channel.choice, r.error.stop_reason, r.error.partial) == (1, "length", [2])
    assert [u.stop_reason for u in r.updates if u.channel.choice == 1][-1] == "length"
