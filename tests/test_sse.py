"""midstream.integrations.sse: the HTML standard's event-stream interpretation, whatever the split.

Every format case is decoded whole, one byte at a time, at random splits (bytes and str): the
events must be the same. The recorded SSE bodies decode to their ``.jsonl`` payloads.
"""

from __future__ import annotations

import asyncio
import doctest
import json
import random
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from midstream import MidstreamError
from midstream.integrations import sse
from midstream.integrations.sse import DONE, ServerSentEvent, SSEDecoder, aiter_sse, iter_sse
from support.corpus import STREAMS as STREAMS_DIR
from tests.strategies import splits as any_splits

ROOT = Path(__file__).resolve().parent.parent


def llm_streams_dir() -> Path:
    """The recorded LLM streams (tests/data/llm-streams)."""
    return STREAMS_DIR


@pytest.fixture(autouse=True)
def engine() -> None:
    """The SSE layer does not use the JSON engines: run these tests once, not once per engine."""


def E(data: str, event: str = "message", id: str = "", retry: int | None = None) -> ServerSentEvent:
    return ServerSentEvent(event, data, id, retry)


def decode(chunks: Iterable[sse.Chunk], **opts: Any) -> list[ServerSentEvent]:
    d = SSEDecoder(**opts)
    out: list[ServerSentEvent] = []
    for c in chunks:
        out += d.feed(c)
    return out + d.close()


def splits(data: Any, seed: int) -> list[Any]:
    rnd = random.Random(seed)
    out, k = [], 0
    while k < len(data):
        m = rnd.randint(1, 9)
        out.append(data[k : k + m])
        k += m
    return out


def every_chunking(body: bytes) -> list[tuple[str, list[Any]]]:
    """Whole, one byte at a time, random byte splits (cutting UTF-8 and CRLF), str variants."""
    text = body.decode("utf-8", "replace")
    ways: list[tuple[str, list[Any]]] = [
        ("whole", [body]),
        ("bytes", [body[k : k + 1] for k in range(len(body))]),
        ("str-whole", [text]),
        ("chars", list(text)),
    ]
    ways += [(f"random-{s}", splits(body, s)) for s in range(6)]
    ways += [(f"random-str-{s}", splits(text, s)) for s in range(2)]
    return ways


def check(body: bytes, expected: list[ServerSentEvent], **opts: Any) -> None:
    for how, chunks in every_chunking(body):
        assert decode(chunks, **opts) == expected, how


# -- the examples of the HTML standard (9.2.6 Interpreting an event stream, 9.2.1) -------------

SPEC_CASES: list[tuple[str, bytes, list[ServerSentEvent]]] = [
    (
        "stock ticker: three data lines joined with LF",
        b"data: YHOO\ndata: +2\ndata: 10\n\n",
        [E("YHOO\n+2\n10")],
    ),
    (
        "four blocks: comment, id 1, empty id resets, leading space kept beyond the first",
        b": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n",
        [E("first event", id="1"), E("second event", id=""), E(" third event", id="")],
    ),
    (
        "two identical events: the space after the colon is optional",
        b"data:test\n\ndata: test\n\n",
        [E("test"), E("test")],
    ),
    (
        "introduction: three messages, one of two lines",
        b"data: This is the first message.\n\n"
        b"data: This is the second message, it\ndata: has two lines.\n\n"
        b"data: This is the third message.\n\n",
        [
            E("This is the first message."),
            E("This is the second message, it\nhas two lines."),
            E("This is the third message."),
        ],
    ),
    (
        "introduction: event types add and remove",
        b"event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\nevent: add\ndata: 113411\n\n",
        [E("73857293", "add"), E("2153", "remove"), E("113411", "add")],
    ),
]


@pytest.mark.parametrize(
    ("body", "expected"), [c[1:] for c in SPEC_CASES], ids=[c[0] for c in SPEC_CASES]
)
def test_spec_examples(body: bytes, expected: list[ServerSentEvent]) -> None:
    check(body, expected)
    check(body, expected, strict=True)


def test_spec_blank_data_example() -> None:
    # "data" / "data" "data" / "data:" -- the first block fires data "", the middle one "\n";
    # the last lacks its blank line: the standard discards it (strict), by default close() fires it.
    body = b"data\n\ndata\ndata\n\ndata:"
    check(body, [E(""), E("\n")], strict=True)
    check(body, [E(""), E("\n"), E("")])


# -- the rest of the format, one rule per case ----------------------------------------------

CASES: list[tuple[str, bytes, list[ServerSentEvent]]] = [
    ("LF", b"data: a\n\ndata: b\n\n", [E("a"), E("b")]),
    ("CR", b"data: a\r\rdata: b\r\r", [E("a"), E("b")]),
    ("CRLF", b"data: a\r\n\r\ndata: b\r\n\r\n", [E("a"), E("b")]),
    ("mixed line ends", b"data: a\r\ndata: b\rdata: c\n\r\n", [E("a\nb\nc")]),
    ("CR then CRLF: two line ends", b"data: a\r\r\n", [E("a")]),
    ("LF CR: two line ends", b"data: a\n\rdata: b\n\n", [E("a"), E("b")]),
    ("BOM dropped", b"\xef\xbb\xbfdata: a\n\n", [E("a")]),
    (
        "second BOM kept: field \\ufeffdata is unknown",
        b"\xef\xbb\xbf\xef\xbb\xbfdata: a\n\ndata: b\n\n",
        [E("b")],
    ),
    ("BOM later is text", b"data: a\n\n\xef\xbb\xbfdata: b\n\n", [E("a")]),
    ("BOM inside data", b"data: \xef\xbb\xbfa\n\n", [E("\ufeffa")]),
    ("UTF-8", "data: héllo € 𝄞 ж\n\n".encode(), [E("héllo € 𝄞 ж")]),
    ("malformed UTF-8 -> U+FFFD", b"data: a\xffb\xc3\n\n", [E("a\ufffdb\ufffd")]),
    ("field without colon: data", b"data\n\n", [E("")]),
    ("field without colon: event", b"event\ndata: x\n\n", [E("x")]),
    ("only one space removed", b"data:  a \n\n", [E(" a ")]),
    ("tab is not removed", b"data:\ta\n\n", [E("\ta")]),
    ("colon in value", b"data: a:b: c\nevent:x:y\n\n", [E("a:b: c", "x:y")]),
    ("empty value joins empty lines", b"data:\ndata:\n\n", [E("\n")]),
    ("trailing LF of data removed once", b"data: a\ndata:\n\n", [E("a\n")]),
    ("no data: no event, its type forgotten", b"event: a\n\ndata: x\n\n", [E("x")]),
    ("blank lines alone fire nothing", b"\n\n\r\n\r\r\n", []),
    ("comments", b":\n: ping\n:data: x\n\n: c\ndata: y\n\n", [E("y")]),
    ("unknown fields ignored", b"foo: bar\nDATA: no\nData: no\ndata: x\nevent : no\n\n", [E("x")]),
    ("field names are exact", b"data : x\n\n", []),
    ("event type empty -> message", b"event:\ndata: x\n\n", [E("x")]),
    ("event type kept verbatim", b"event:  two spaces\ndata: x\n\n", [E("x", " two spaces")]),
    ("last event of two wins", b"event: a\nevent: b\ndata: x\n\n", [E("x", "b")]),
    (
        "id persists",
        b"id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\n",
        [E("a", id="1"), E("b", id="1"), E("c", id="2")],
    ),
    ("id set by an event without data", b"id: 7\n\ndata: a\n\n", [E("a", id="7")]),
    ("empty id resets", b"id: 1\ndata: a\n\nid:\ndata: b\n\n", [E("a", id="1"), E("b")]),
    (
        "id with NUL ignored",
        b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n",
        [E("a", id="1"), E("b", id="1")],
    ),
    ("NUL in data kept", b"data: a\x00b\n\n", [E("a\x00b")]),
    ("retry", b"retry: 1500\ndata: a\n\ndata: b\n\n", [E("a", retry=1500), E("b")]),
    (
        "retry not digits ignored",
        b"retry: 1e3\nretry: -1\nretry: 1 \nretry:\nretry: x\ndata: a\n\n",
        [E("a")],
    ),
    ("retry non-ASCII digits ignored", "retry: ١٢\nretry: ²\ndata: a\n\n".encode(), [E("a")]),
    ("[DONE] is data", b"data: [DONE]\n\n", [E(DONE)]),
    ("long line", b"data: " + b"x" * 5000 + b"\n\n", [E("x" * 5000)]),
]


@pytest.mark.parametrize(("body", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_format(body: bytes, expected: list[ServerSentEvent]) -> None:
    check(body, expected)
    check(body, expected, strict=True)


def test_crlf_cut_between_chunks_is_one_line_end() -> None:
    # "data: a" CR | LF "data: b" CRLF CRLF: one event; an extra blank line would fire "a" alone.
    assert decode([b"data: a\r", b"\ndata: b\r\n\r", b"\n"]) == [E("a\nb")]
    assert decode(["data: a\r", "\n", "\r", "\n"]) == [E("a")]
    # a CR alone at a chunk end, followed by a non-LF: the CR was the line end
    assert decode([b"data: a\r", b"\r"]) == [E("a")]
    # the LF may come after empty chunks (a cut UTF-8 sequence decodes to nothing)
    d = SSEDecoder()
    assert d.feed(b"data: \xe2\x82\xac\r") == []
    assert d.feed(b"") == []
    assert d.feed(b"\n") == []
    assert d.feed(b"\r\n") == [E("€")]


def test_end_of_stream_default_and_strict() -> None:
    cases = [
        (b"data: a\n\ndata: b", [E("a")], [E("a"), E("b")]),  # last line unterminated
        (b"data: a\n\ndata: b\n", [E("a")], [E("a"), E("b")]),  # no blank line
        (b"data: a\r\n\r\nevent: e\r\ndata: b\r\n", [E("a")], [E("a"), E("b", "e")]),
        (b"data: a\n\nevent: e\n", [E("a")], [E("a")]),  # no data: nothing to fire
        (b"data: a\n\n: comment", [E("a")], [E("a")]),
        (b"data: \xe2\x82", [], [E("\ufffd")]),  # a cut UTF-8 sequence at the end -> U+FFFD
        (b"", [], []),
    ]
    for body, strict, default in cases:
        for how, chunks in every_chunking(body):
            assert decode(chunks, strict=True) == strict, (body, how)
            assert decode(chunks) == default, (body, how)


def test_decoder_state_and_errors() -> None:
    d = SSEDecoder(last_event_id="41")
    assert d.last_event_id == "41" and d.retry is None
    assert d.feed("data: a\n\n") == [E("a", id="41")]
    assert d.feed(b"retry: 250\n\n") == []  # no data: no event, but the retry is taken
    assert d.retry == 250
    assert d.feed("id: 42\ndata: b\n\n") == [E("b", id="42")]
    assert d.last_event_id == "42"
    assert d.close() == []
    assert d.close() == []  # closing twice is harmless
    with pytest.raises(MidstreamError):
        d.feed(b"data: c\n\n")
    with pytest.raises(TypeError):
        SSEDecoder().feed(42)  # type: ignore[arg-type]
    # bytearray and memoryview are bytes too
    assert decode([bytearray(b"data: a\n"), memoryview(b"\n")]) == [E("a")]


def test_str_after_cut_utf8_ends_the_sequence() -> None:
    assert decode([b"data: a\xe2\x82", "b\n\n"]) == [E("a\ufffdb")]
    assert decode(["data: ", b"\xe2\x82", b"\xac\n", "\n"]) == [E("€")]


def test_server_sent_event() -> None:
    e = E('{"a": [1, 2]}', "delta", "9", 10)
    assert (e.event, e.data, e.id, e.retry) == ("delta", '{"a": [1, 2]}', "9", 10)
    assert e.json() == {"a": [1, 2]} and not e.is_done
    assert E(DONE).is_done and ServerSentEvent().event == "message"
    with pytest.raises(AttributeError):
        e.data = "x"  # type: ignore[misc]
    assert {e, E('{"a": [1, 2]}', "delta", "9", 10)} == {e}


def test_iterators_share_the_decoder() -> None:
    body = b"data: a\r\n\r\nid: 3\ndata: b\n\nevent: end\ndata: c"
    chunks = splits(body, 1)
    assert list(iter_sse(chunks)) == [E("a"), E("b", id="3"), E("c", "end", "3")]
    assert list(iter_sse(chunks, strict=True)) == [E("a"), E("b", id="3")]

    async def agen() -> AsyncIterator[bytes]:
        for c in chunks:
            yield c

    async def collect(strict: bool) -> list[ServerSentEvent]:
        return [e async for e in aiter_sse(agen(), strict=strict)]

    assert asyncio.run(collect(False)) == list(iter_sse(chunks))
    assert asyncio.run(collect(True)) == list(iter_sse(chunks, strict=True))


def test_docstrings() -> None:
    assert doctest.testmod(sse).failed == 0


# -- property: any events, serialised any way, split anywhere, decode back -----------------

FIELD_TEXT = st.text(
    st.characters(exclude_characters="\r\n\x00", exclude_categories=["Cs"]), max_size=12
)


@st.composite
def serialised_streams(draw: st.DrawFn) -> tuple[bytes, list[ServerSentEvent]]:
    """Events (type, data with LFs, id, retry) written with random line ends, field order,
    spacing and comments; and the events the standard says they decode to."""
    lines: list[str] = []
    expected: list[ServerSentEvent] = []
    last_id = ""
    for _ in range(draw(st.integers(0, 6))):
        data = draw(
            st.text(
                st.characters(exclude_characters="\r\x00", exclude_categories=["Cs"]),
                max_size=20,
            )
        )
        event = draw(st.none() | FIELD_TEXT)
        id_ = draw(st.none() | FIELD_TEXT)
        retry = draw(st.none() | st.integers(0, 10**6))
        fields = [("data", v) for v in data.split("\n")]
        if event is not None:
            fields.append(("event", event))
        if id_ is not None:
            fields.append(("id", id_))
            last_id = id_
        if retry is not None:
            fields.append(("retry", str(retry)))
        # data lines keep their order; the other fields go anywhere among them
        order = draw(st.permutations(range(len(fields))))
        data_at = sorted(i for i in order if fields[i][0] == "data")
        k = 0
        for i in order:
            if fields[i][0] == "data":
                i = data_at[k]
                k += 1
            name, value = fields[i]
            if draw(st.integers(0, 4)) == 0:
                lines.append(":" + draw(FIELD_TEXT))
            if value == "" and draw(st.booleans()):
                lines.append(name)  # a field without colon has the empty value
            elif value[:1] == " " or draw(st.booleans()):
                lines.append(f"{name}: {value}")
            else:
                lines.append(f"{name}:{value}")
        lines.append("")
        expected.append(E(data, event or "message", last_id, retry))
    text, prev = "", ""
    for line in lines:
        ends = ["\n", "\r", "\r\n"]
        if prev == "\r" and line == "":
            ends.remove("\n")  # CR then an empty line ended by LF would read as one CRLF
        prev = draw(st.sampled_from(ends))
        text += line + prev
    bom = draw(st.sampled_from(["", "\ufeff"]))
    return (bom + text).encode(), expected


@settings(max_examples=200, deadline=None)
@given(serialised_streams(), st.data())
def test_roundtrip_any_split(
    stream: tuple[bytes, list[ServerSentEvent]], data: st.DataObject
) -> None:
    body, expected = stream
    chunks = data.draw(any_splits(body))
    assert decode(chunks, strict=True) == expected
    assert decode(chunks) == expected  # every event has its blank line: the end adds nothing


# -- the recorded bodies ----------------------------------------------------------------------

SSE_BODIES = sorted(llm_streams_dir().glob("*.sse"))


def test_recorded_bodies_present() -> None:
    assert len(SSE_BODIES) == 32


@pytest.mark.parametrize("path", SSE_BODIES, ids=lambda p: p.name.removesuffix(".sse"))
def test_recorded_body_decodes_to_its_payloads(path: Path) -> None:
    body = path.read_bytes()
    expected = [
        json.loads(line)
        for line in path.with_suffix(".jsonl").read_text("utf-8").splitlines()
        if line.strip()
    ]
    reference: list[ServerSentEvent] | None = None
    for how, chunks in every_chunking(body)[:1] + every_chunking(body)[2:]:  # "bytes" below
        events = decode(chunks)
        assert [e.json() for e in events if not e.is_done] == expected, how
        assert reference is None or events == reference, how
        reference = events
    assert decode(body[k : k + 1] for k in range(len(body))) == reference
    # OpenAI bodies end with data: [DONE]; Anthropic's with an event that lacks its blank line,
    # which strict mode drops
    ends_properly = body.endswith((b"\n\n", b"\r\n\r\n", b"\r\r"))
    strict = decode([body], strict=True)
    assert strict == (reference if ends_properly else reference[:-1])
    assert reference and (reference[-1].is_done or path.name.startswith("anthropic"))
