"""One channel per JSON-bearing stream inside an LLM provider's streamed response (sans-I/O).

A streamed response interleaves several texts: the message content of each choice, the arguments
of each tool call (several in parallel), the text and the tool input of each content block.
:class:`ChannelDemux` takes the response's payloads one at a time (the parsed JSON of each SSE
``data:`` line, or the dicts an SDK such as boto3 yields) and returns, in order:

* :class:`ChannelOpened` when a channel begins (with the provider's object that began it: the
  tool call, content block or output item, where its name and ids are);
* :class:`Delta` ``(channel, text)`` for every piece of text, never empty;
* :class:`ChannelDone` when the provider says the channel is complete (Anthropic
  ``content_block_stop``, Responses ``*.done`` / ``output_item.done``, OpenAI ``finish_reason``,
  Cohere ``tool-call-end``, Bedrock ``contentBlockStop``, Gemini's end of a call), at the latest
  at the end of the response; :meth:`ChannelDemux.close` ends those the provider never ended,
  marked ``eof=True``;
* :class:`Stopped` with the provider's stop reason (``"length"``, ``"max_tokens"``, ...);
  ``truncated`` tells the reasons that mean the output was cut by a token limit.

Each channel's deltas, concatenated, are its whole text: feed them to one
:class:`~midstream.Parser` per channel::

    demux, parsers = ChannelDemux(), {}
    for event in iter_sse(body_chunks):
        if event.is_done:
            break
        for ev in demux.feed(event.json()):
            if isinstance(ev, Delta):
                parsers.setdefault(ev.channel, Parser()).feed(ev.text)

Providers (recognised from the first payload that shows its shape, or named with ``provider=``):

=================== ================================================================================
``openai``          Chat Completions and the compatible APIs (DeepSeek, Groq, Mistral, xAI, Alibaba,
                    ...): ``content``, ``refusal`` per choice; ``tool_call`` per ``index``. Quirks
                    handled: id and name only on a call's first delta; ids repeated on every delta
                    or sent as ``""``; no ``index`` at all (Mistral: a call identified by its id, or
                    continuing the last call); one index reused by calls with different ids
                    (each id is its own channel); whole arguments in one delta.
``openai-responses`` Responses API: ``output_text`` / ``refusal`` per content part (``id`` = item id,
                    ``index`` = output index, ``part`` = content index), ``function_call`` and
                    ``mcp_call`` per item; a call whose deltas never came gets its arguments from
                    the ``*.done`` event.
``anthropic``       Messages: ``text`` and ``tool_use`` (also ``server_tool_use``, ``mcp_tool_use``)
                    per content block, ``message`` counting the ``message_start`` events; thinking
                    blocks skipped. A tool block without deltas carries the ``input`` of its
                    ``content_block_start`` (``{}`` for a tool without arguments; programmatic
                    calls arrive that way, whole).
``cohere``          Chat v2: ``tool_call`` per index (``tool-call-start/delta/end``), ``text`` per
                    content index.
``bedrock``         ConverseStream: ``tool_use`` per content block (``contentBlockStart`` names it),
                    ``text`` per content block.
``gemini``          streamGenerateContent: ``text`` per candidate; ``function_call`` per call, in
                    order (``index``): whole ``args`` objects become one delta of JSON text, done at
                    once; streamed ``partialArgs`` (values addressed by ``jsonPath``) are written
                    out as JSON text as they come, so a parser sees the arguments grow.
=================== ================================================================================

Payloads of other shapes and unknown event types are ignored (providers add new ones); an error
payload (``{"type": "error", ...}``, ``{"error": {...}}``) raises :class:`ProviderError`.

Cost: a few dictionary lookups per payload; a delta is a two-item tuple around the provider's own
string (no copy); a channel is made once and its hash is computed once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from ..errors import MidstreamError
from .json_path_writer import JSONPathWriter, dumps

__all__ = [
    "Channel",
    "ChannelDemux",
    "ChannelDone",
    "ChannelOpened",
    "Delta",
    "DemuxEvent",
    "Kind",
    "Provider",
    "ProviderError",
    "Stopped",
    "detect_provider",
]

Provider = Literal["openai", "openai-responses", "anthropic", "cohere", "bedrock", "gemini"]
Kind = Literal[
    "content",
    "refusal",
    "tool_call",
    "tool_use",
    "output_text",
    "function_call",
    "mcp_call",
    "text",
]


@dataclass(frozen=True, slots=True)
class Channel:
    """The identity of one JSON-bearing text inside a response: hashable, immutable.

    The demux makes one ``Channel`` when the text begins and gives that same object with every
    delta, even when later payloads omit the id or the name (OpenAI sends them only once).

    ``provider``  the API family (:data:`Provider`).
    ``kind``      what the text is (:data:`Kind`): ``content`` / ``refusal`` (OpenAI chat),
                  ``tool_call`` (OpenAI chat, Cohere), ``tool_use`` (Anthropic, Bedrock),
                  ``output_text`` / ``refusal`` / ``function_call`` / ``mcp_call`` (Responses),
                  ``function_call`` (Gemini), ``text`` (Anthropic, Cohere, Bedrock, Gemini).
    ``choice``    the choice index (OpenAI chat) or candidate index (Gemini), else ``None``.
    ``index``     the tool call's index (OpenAI chat, Cohere), the content block's index
                  (Anthropic, Bedrock), the output index (Responses), the call's number in its
                  candidate (Gemini), the content index (Cohere text), else ``None``.
    ``id``        the tool call id (OpenAI chat, Anthropic, Cohere, Bedrock, Gemini when given)
                  or the output item id (Responses: ``fc_...``, ``mcp_...``, ``msg_...``).
    ``name``      the tool or function name, where the API gives it.
    ``message``   Anthropic: the message number (0, 1, ... counting ``message_start``).
    ``part``      Responses: the content index of an ``output_text`` / ``refusal`` part.

    ``id`` and ``name`` are those known when the channel began (the first delta of an OpenAI
    tool call carries both).
    """

    provider: Provider
    kind: Kind
    choice: int | None = None
    index: int | None = None
    id: str | None = None
    name: str | None = None
    message: int | None = None
    part: int | None = None
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash(self._key()))

    def _key(self) -> tuple[Any, ...]:
        return (
            self.provider,
            self.kind,
            self.choice,
            self.index,
            self.id,
            self.name,
            self.message,
            self.part,
        )

    def __hash__(self) -> int:  # computed once: channels are dictionary keys on every delta
        return self._hash

    def __reduce__(self) -> tuple[Any, ...]:  # rebuilt, so the hash is this process's
        return (Channel, self._key())


class Delta(NamedTuple):
    """A piece of a channel's text (never empty): ``for channel, text in ...`` works."""

    channel: Channel
    text: str


@dataclass(frozen=True, slots=True)
class ChannelOpened:
    """A channel began. ``start`` is the provider's object that began it (the tool call delta,
    content block, output item, function call part ...): ids beyond ``Channel.id`` live there
    (e.g. the Responses ``call_id``, the block ``type`` of an Anthropic server tool)."""

    channel: Channel
    start: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ChannelDone:
    """A channel ended: no more deltas will come for it.

    ``eof`` is ``True`` when :meth:`ChannelDemux.close` ended it because the provider never did
    (the response was cut off): its text may be incomplete.
    """

    channel: Channel
    eof: bool = False


#: Stop reasons that mean the output was cut by a token limit.
TRUNCATED = frozenset(
    {"length", "max_tokens", "MAX_TOKENS", "max_output_tokens", "model_context_window_exceeded"}
)


@dataclass(frozen=True, slots=True)
class Stopped:
    """The response (or one choice / message of it) stopped, for ``reason`` (the provider's own
    string: ``"stop"``, ``"length"``, ``"tool_calls"``, ``"end_turn"``, ``"max_tokens"``,
    ``"MAX_TOKENS"``, ``"completed"``, ``"max_output_tokens"``, ...)."""

    provider: Provider
    reason: str
    choice: int | None = None
    message: int | None = None

    @property
    def truncated(self) -> bool:
        """True when the reason is a token limit: the last channels are probably incomplete."""
        return self.reason in TRUNCATED


DemuxEvent = ChannelOpened | Delta | ChannelDone | Stopped


class ProviderError(MidstreamError):
    """The provider sent an error payload, or a payload this module cannot make sense of.

    ``payload`` is the payload; ``partial`` the channels open when it came.
    """

    def __init__(self, msg: str, payload: Any = None, partial: Any = None) -> None:
        super().__init__(msg)
        self.msg = msg
        self.payload = payload
        self.partial = partial


_ANTHROPIC_TYPES = frozenset(
    {
        "message_start",
        "message_delta",
        "message_stop",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "ping",
    }
)
_COHERE_TYPES = frozenset(
    {
        "message-start",
        "message-end",
        "content-start",
        "content-delta",
        "content-end",
        "tool-plan-delta",
        "tool-call-start",
        "tool-call-delta",
        "tool-call-end",
        "citation-start",
        "citation-end",
        "debug",
    }
)
_BEDROCK_KEYS = frozenset(
    {
        "messageStart",
        "contentBlockStart",
        "contentBlockDelta",
        "contentBlockStop",
        "messageStop",
        "metadata",
    }
)


def detect_provider(payload: Mapping[str, Any]) -> Provider | None:
    """The API family a payload belongs to, from its shape; ``None`` when it does not tell."""
    t = payload.get("type")
    if isinstance(t, str):
        if t.startswith("response."):
            return "openai-responses"
        if t in _ANTHROPIC_TYPES:
            return "anthropic"
        if t in _COHERE_TYPES:
            return "cohere"
    if "choices" in payload:
        return "openai"
    if "candidates" in payload or "promptFeedback" in payload:
        return "gemini"
    if not _BEDROCK_KEYS.isdisjoint(payload) or any(
        isinstance(k, str) and k.endswith("Exception") for k in payload
    ):
        return "bedrock"
    return None


_dumps = dumps  # compact JSON text of a value (provider objects turned back into text)


_new = tuple.__new__  # builds a Delta without the Python-level NamedTuple.__new__


class _Stream:
    """The demux's own state for one channel."""

    __slots__ = ("channel", "done", "pending", "received")

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.received = 0  # characters delivered
        self.done = False
        self.pending: Any = None  # provider-specific: text held back, a JSON writer


class _Handler:
    """One provider's interpretation; the shared bookkeeping of streams lives here."""

    provider: Provider

    def __init__(self) -> None:
        self.streams: list[_Stream] = []

    def feed(self, p: Mapping[str, Any], out: list[DemuxEvent]) -> None:
        raise NotImplementedError

    def open(self, channel: Channel, start: Mapping[str, Any], out: list[DemuxEvent]) -> _Stream:
        s = _Stream(channel)
        self.streams.append(s)
        out.append(ChannelOpened(channel, start))
        return s

    @staticmethod
    def delta(s: _Stream, text: Any, out: list[DemuxEvent]) -> None:
        if text:
            if type(text) is not str:
                text = _dumps(text) if isinstance(text, (Mapping, list)) else str(text)
            s.received += len(text)
            out.append(_new(Delta, (s.channel, text)))

    def end(self, s: _Stream, out: list[DemuxEvent], eof: bool = False) -> None:
        if not s.done:
            s.done = True
            out.append(ChannelDone(s.channel, eof))

    def end_all(self, out: list[DemuxEvent], eof: bool = False) -> None:
        for s in self.streams:
            if not s.done:
                self.end(s, out, eof)
        self.streams = []

    def close(self, out: list[DemuxEvent]) -> None:
        self.end_all(out, eof=True)


# -- OpenAI Chat Completions and compatibles ----------------------------------------------------


class _Choice:
    __slots__ = ("by_id", "content", "count", "last", "refusal", "tools")

    def __init__(self) -> None:
        self.content: _Stream | None = None
        self.refusal: _Stream | None = None
        self.tools: dict[int, _Stream] = {}
        self.by_id: dict[str, _Stream] = {}
        self.last: _Stream | None = None
        self.count = 0  # tool calls begun in this choice


class _OpenAIChat(_Handler):
    provider: Provider = "openai"

    def __init__(self) -> None:
        super().__init__()
        self.choices: dict[int, _Choice] = {}

    def feed(self, p: Mapping[str, Any], out: list[DemuxEvent]) -> None:
        choices = p.get("choices")
        if not choices:
            return
        for c in choices:
            ci = c.get("index") or 0
            st = self.choices.get(ci)
            if st is None:
                st = self.choices[ci] = _Choice()
            d = c.get("delta")
            if d:
                text = d.get("content")
                if text:
                    s = st.content
                    if s is None:
                        s = st.content = self.open(Channel("openai", "content", ci), d, out)
                    self.delta(s, text, out)
                text = d.get("refusal")
                if text:
                    s = st.refusal
                    if s is None:
                        s = st.refusal = self.open(Channel("openai", "refusal", ci), d, out)
                    self.delta(s, text, out)
                calls = d.get("tool_calls")
                if calls:
                    self.tool_calls(st, ci, calls, out)
            reason = c.get("finish_reason")
            if reason:
                for s in self.streams:  # in the order they began
                    if s.channel.choice == ci:
                        self.end(s, out)
                out.append(Stopped("openai", reason, choice=ci))

    def tool_calls(self, st: _Choice, ci: int, calls: Any, out: list[DemuxEvent]) -> None:
        for tc in calls:
            idx = tc.get("index")
            tid = tc.get("id") or None  # Alibaba repeats "id": "" on later deltas
            fn = tc.get("function") or {}
            s: _Stream | None
            if isinstance(idx, int):
                s = st.tools.get(idx)
                if s is not None and tid and s.channel.id and tid != s.channel.id:
                    # another call at an index in use (seen from some compatible servers)
                    s = st.by_id.get(tid)
            elif tid:
                s = st.by_id.get(tid)  # no index (Mistral): the id tells the call
            else:
                s = st.last  # neither: the call being streamed continues
            if s is None:
                if not isinstance(idx, int):
                    idx = st.count
                name = fn.get("name") or None
                ch = Channel("openai", "tool_call", ci, idx, tid, name)
                previous = st.tools.get(idx)
                if previous is not None:
                    self.end(previous, out)  # replaced at its index: the provider moved on
                s = self.open(ch, tc, out)
                st.tools[idx] = s
                if tid:
                    st.by_id[tid] = s
                st.count += 1
            st.last = s
            self.delta(s, fn.get("arguments"), out)


# -- OpenAI Responses -----------------------------------------------------------------------


_CALL_ITEMS: dict[Any, Kind] = {"function_call": "function_call", "mcp_call": "mcp_call"}
_ARGUMENT_DELTAS: dict[str, Kind] = {
    "response.function_call_arguments.delta": "function_call",
    "response.mcp_call_arguments.delta": "mcp_call",
}
_ARGUMENT_DONES: dict[str, Kind] = {
    "response.function_call_arguments.done": "function_call",
    "response.mcp_call_arguments.done": "mcp_call",
}
_TEXT_DELTAS: dict[str, Kind] = {
    "response.output_text.delta": "output_text",
    "response.refusal.delta": "refusal",
}
_TEXT_DONES: dict[str, tuple[Kind, str]] = {
    "response.output_text.done": ("output_text", "text"),
    "response.refusal.done": ("refusal", "refusal"),
}
_RESPONSE_ENDS = frozenset({"response.completed", "response.incomplete", "response.failed"})


class _Responses(_Handler):
    provider: Provider = "openai-responses"

    def __init__(self) -> None:
        super().__init__()
        self.calls: dict[Any, _Stream] = {}  # by item id
        self.parts: dict[tuple[Any, Any, str], _Stream] = {}  # by (item id, content index, kind)

    def call(self, p: Mapping[str, Any], kind: Kind, out: list[DemuxEvent]) -> _Stream:
        iid = p.get("item_id")
        s = self.calls.get(iid)
        if s is None:  # its output_item.added never came: begin it here, without a name
            ch = Channel("openai-responses", kind, index=p.get("output_index"), id=iid)
            s = self.calls[iid] = self.open(ch, p, out)
        return s

    def text(self, p: Mapping[str, Any], kind: Kind, out: list[DemuxEvent]) -> _Stream:
        iid, ci = p.get("item_id"), p.get("content_index")
        s = self.parts.get((iid, ci, kind))
        if s is None:
            ch = Channel("openai-responses", kind, index=p.get("output_index"), id=iid, part=ci)
            s = self.parts[iid, ci, kind] = self.open(ch, p, out)
        return s

    def feed(self, p: Mapping[str, Any], out: list[DemuxEvent]) -> None:
        t = p.get("type")
        if not isinstance(t, str):
            return
        kind = _TEXT_DELTAS.get(t)
        if kind is not None:
            self.delta(self.text(p, kind, out), p.get("delta"), out)
            return
        kind = _ARGUMENT_DELTAS.get(t)
        if kind is not None:
            self.delta(self.call(p, kind, out), p.get("delta"), out)
            return
        kind = _ARGUMENT_DONES.get(t)
        if kind is not None:
            s = self.call(p, kind, out)
            if not s.received:  # no deltas came: the arguments are all here
                self.delta(s, p.get("arguments"), out)
            self.end(s, out)
            return
        done = _TEXT_DONES.get(t)
        if done is not None:
            s = self.text(p, done[0], out)
            if not s.received:
                self.delta(s, p.get(done[1]), out)
            self.end(s, out)
        elif t == "response.output_item.added":
            item = p.get("item") or {}
            kind = _CALL_ITEMS.get(item.get("type"))
            iid = item.get("id")
            if kind is not None and iid not in self.calls:
                ch = Channel(
                    "openai-responses",
                    kind,
                    index=p.get("output_index"),
                    id=iid,
                    name=item.get("name") or None,
                )
                s = self.calls[iid] = self.open(ch, item, out)
                self.delta(s, item.get("arguments"), out)
        elif t == "response.output_item.done":
            item = p.get("item") or {}
            iid = item.get("id")
            call = self.calls.get(iid)
            if call is not None:
                if not call.received:
                    self.delta(call, item.get("arguments"), out)
                self.end(call, out)
            for (part_item, _, _), part in self.parts.items():
                if part_item == iid:
                    self.end(part, out)
        elif t == "response.content_part.done":
            for k in ("output_text", "refusal"):
                ended = self.parts.get((p.get("item_id"), p.get("content_index"), k))
                if ended is not None:
                    self.end(ended, out)
        elif t in _RESPONSE_ENDS:
            self.end_all(out)
            r = p.get("response") or {}
            status = r.get("status") or t.removeprefix("response.")
            reason = status
            if status == "incomplete":
                reason = (r.get("incomplete_details") or {}).get("reason") or status
            out.append(Stopped("openai-responses", reason))


# -- Anthropic Messages ---------------------------------------------------------------------

_TOOL_BLOCKS = frozenset({"tool_use", "server_tool_use", "mcp_tool_use"})


class _Anthropic(_Handler):
    provider: Provider = "anthropic"

    def __init__(self) -> None:
        super().__init__()
        self.message = -1  # message_start events seen, minus one
        self.blocks: dict[Any, _Stream] = {}

    def feed(self, p: Mapping[str, Any], out: list[DemuxEvent]) -> None:
        t = p.get("type")
        if t == "content_block_delta":
            s = self.blocks.get(p.get("index"))
            if s is None:  # a thinking block, a result block
                return
            d = p.get("delta") or {}
            dt = d.get("type")
            if dt == "input_json_delta":
                if s.channel.kind == "tool_use":
                    self.delta(s, d.get("partial_json"), out)
            elif dt == "text_delta" and s.channel.kind == "text":
                self.delta(s, d.get("text"), out)
        elif t == "content_block_start":
            cb = p.get("content_block") or {}
            ctype = cb.get("type")
            m = max(self.message, 0)
            idx = p.get("index")
            if ctype == "text":
                s = self.open(Channel("anthropic", "text", index=idx, message=m), cb, out)
                self.delta(s, cb.get("text"), out)
            elif ctype in _TOOL_BLOCKS:
                ch = Channel("anthropic", "tool_use", None, idx, cb.get("id"), cb.get("name"), m)
                s = self.open(ch, cb, out)
                s.pending = cb.get("input")  # the input, when no delta comes
            else:
                return
            self.blocks[idx] = s
        elif t == "content_block_stop":
            s = self.blocks.pop(p.get("index"), None)
            if s is not None:
                self.finish(s, out)
        elif t == "message_delta":
            reason = (p.get("delta") or {}).get("stop_reason")
            if reason:
                out.append(Stopped("anthropic", reason, message=max(self.message, 0)))
        elif t == "message_start":
            self.end_all(out)
            self.blocks = {}
            self.message += 1
        elif t == "message_stop":
            for s in self.blocks.values():
                self.finish(s, out)
            self.blocks = {}

    def finish(self, s: _Stream, out: list[DemuxEvent]) -> None:
        if not s.received and isinstance(s.pending, Mapping):
            # A tool block whose input came whole in content_block_start (programmatic calls),
            # or a tool without arguments: its JSON text is that input ("{}").
            self.delta(s, _dumps(s.pending), out)
        self.end(s, out)


# -- Cohere v2 -------------------------------------------------------------------------------


class _Cohere(_Handler):
    provider: Provider = "cohere"

    def __init__(self) -> None:
        super().__init__()
        self.tools: dict[Any, _Stream] = {}
        self.texts: dict[Any, _Stream] = {}

    def feed(self, p: Mapping[str, Any], out: list[DemuxEvent]) -> None:
        t = p.get("type")
        idx = p.get("index")
        message = (p.get("delta") or {}).get("message") or {}
        if t == "tool-call-delta":
            s = self.tools.get(idx)
            if s is None:
                s = self.tools[idx] = self.open(Channel("cohere", "tool_call", index=idx), p, out)
            fn = (message.get("tool_calls") or {}).get("function") or {}
            self.delta(s, fn.get("arguments"), out)
        elif t == "content-delta":
            s = self.texts.get(idx)
            if s is not None:
                self.delta(s, (message.get("content") or {}).get("text"), out)
        elif t == "tool-call-start":
            tc = message.get("tool_calls") or {}
            fn = tc.get("function") or {}
            ch = Channel("cohere", "tool_call", None, idx, tc.get("id"), fn.get("name"))
            s = self.tools[idx] = self.open(ch, tc, out)
            self.delta(s, fn.get("arguments"), out)
        elif t == "content-start":
            content = message.get("content") or {}
            if content.get("type", "text") == "text":
                s = self.open(Channel("cohere", "text", index=idx), content, out)
                self.texts[idx] = s
                self.delta(s, content.get("text"), out)
        elif t == "tool-call-end":
            s = self.tools.pop(idx, None)
            if s is not None:
                self.end(s, out)
        elif t == "content-end":
            s = self.texts.pop(idx, None)
            if s is not None:
                self.end(s, out)
        elif t == "message-end":
            self.end_all(out)
            self.tools, self.texts = {}, {}
            reason = (p.get("delta") or {}).get("finish_reason")
            if reason:
                out.append(Stopped("cohere", reason))


# -- Bedrock ConverseStream -------------------------------------------------------------------


class _Bedrock(_Handler):
    provider: Provider = "bedrock"

    def __init__(self) -> None:
        super().__init__()
        self.blocks: dict[Any, _Stream] = {}

    def feed(self, p: Mapping[str, Any], out: list[DemuxEvent]) -> None:
        v = p.get("contentBlockDelta")
        if v is not None:
            idx = v.get("contentBlockIndex")
            d = v.get("delta") or {}
            s = self.blocks.get(idx)
            if "text" in d:
                if s is None:  # text blocks have no contentBlockStart
                    s = self.blocks[idx] = self.open(Channel("bedrock", "text", index=idx), d, out)
                self.delta(s, d["text"], out)
            elif "toolUse" in d:
                if s is None:
                    ch = Channel("bedrock", "tool_use", index=idx)
                    s = self.blocks[idx] = self.open(ch, d, out)
                self.delta(s, (d["toolUse"] or {}).get("input"), out)
            return
        v = p.get("contentBlockStart")
        if v is not None:
            idx = v.get("contentBlockIndex")
            tool = (v.get("start") or {}).get("toolUse")
            if tool is not None:
                ch = Channel(
                    "bedrock", "tool_use", None, idx, tool.get("toolUseId"), tool.get("name")
                )
                self.blocks[idx] = self.open(ch, tool, out)
            return
        v = p.get("contentBlockStop")
        if v is not None:
            s = self.blocks.pop(v.get("contentBlockIndex"), None)
            if s is not None:
                self.end(s, out)
            return
        v = p.get("messageStop")
        if v is not None:
            self.end_all(out)
            self.blocks = {}
            reason = v.get("stopReason")
            if reason:
                out.append(Stopped("bedrock", reason))
            return
        for key, v in p.items():  # the stream's exceptions: modelStreamErrorException, ...
            if key.endswith("Exception"):
                message = v.get("message") if isinstance(v, Mapping) else v
                raise ProviderError(f"Bedrock {key}: {message}", p)


# -- Gemini -----------------------------------------------------------------------------------


class _Candidate:
    __slots__ = ("call", "calls", "text")

    def __init__(self) -> None:
        self.text: _Stream | None = None
        self.call: _Stream | None = None  # a function call whose partialArgs are streaming
        self.calls = 0


class _Gemini(_Handler):
    provider: Provider = "gemini"

    def __init__(self) -> None:
        super().__init__()
        self.candidates: dict[int, _Candidate] = {}

    def feed(self, p: Mapping[str, Any], out: list[DemuxEvent]) -> None:
        for cand in p.get("candidates") or ():
            ci = cand.get("index") or 0
            st = self.candidates.get(ci)
            if st is None:
                st = self.candidates[ci] = _Candidate()
            for part in (cand.get("content") or {}).get("parts") or ():
                if part.get("thought"):
                    continue
                fc = part.get("functionCall")
                if fc is not None:
                    self.function_call(st, ci, fc, part, out, p)
                    continue
                text = part.get("text")
                if text:
                    s = st.text
                    if s is None:
                        s = st.text = self.open(Channel("gemini", "text", ci), part, out)
                    self.delta(s, text, out)
            reason = cand.get("finishReason")
            if reason:
                if st.call is not None:
                    if reason not in TRUNCATED:  # the model finished: so did its last call
                        self.delta(st.call, st.call.pending.finish(), out)
                    self.end(st.call, out)
                    st.call = None
                if st.text is not None:
                    self.end(st.text, out)
                    st.text = None
                out.append(Stopped("gemini", reason, choice=ci))

    def function_call(
        self,
        st: _Candidate,
        ci: int,
        fc: Mapping[str, Any],
        part: Mapping[str, Any],
        out: list[DemuxEvent],
        p: Mapping[str, Any],
    ) -> None:
        s = st.call
        if s is not None and fc.get("name"):  # a new call while one streams: that one is over
            self.delta(s, s.pending.finish(), out)
            self.end(s, out)
            s = st.call = None
        if s is None:
            name = fc.get("name")
            if not name and "args" not in fc and "partialArgs" not in fc:
                return  # an end marker or keep-alive with no call streaming
            ch = Channel("gemini", "function_call", ci, st.calls, fc.get("id"), name or None)
            st.calls += 1
            s = self.open(ch, fc, out)
            if "args" in fc:  # the whole arguments at once
                self.delta(s, _dumps(fc["args"]), out)
                self.end(s, out)
                return
            s.pending = JSONPathWriter()
            st.call = s
        writer: JSONPathWriter = s.pending
        try:
            for arg in fc.get("partialArgs") or ():
                self.delta(s, writer.add(arg), out)
        except ValueError as e:
            raise ProviderError(f"Gemini partialArgs: {e}", p) from None
        if not fc.get("willContinue"):
            self.delta(s, writer.finish(), out)
            self.end(s, out)
            st.call = None


_HANDLERS: dict[str, type[_Handler]] = {
    "openai": _OpenAIChat,
    "openai-responses": _Responses,
    "anthropic": _Anthropic,
    "cohere": _Cohere,
    "bedrock": _Bedrock,
    "gemini": _Gemini,
}


class ChannelDemux:
    """Sans-I/O demultiplexer: provider payloads in, channel events out (see the module doc).

    >>> demux = ChannelDemux()
    >>> events = demux.feed({"choices": [{"index": 0, "delta": {"tool_calls": [
    ...     {"index": 0, "id": "call_1", "function": {"name": "f", "arguments": '{"a"'}}]}}]})
    >>> [type(e).__name__ for e in events]
    ['ChannelOpened', 'Delta']
    >>> events[1]  # doctest: +NORMALIZE_WHITESPACE
    Delta(channel=Channel(provider='openai', kind='tool_call', choice=0, index=0, id='call_1',
                          name='f', message=None, part=None), text='{"a"')
    >>> [(ch.name, text) for ch, text in demux.feed({"choices": [{"index": 0, "delta": {
    ...     "tool_calls": [{"index": 0, "function": {"arguments": ": 1}"}}]}}]})]
    [('f', ': 1}')]
    >>> demux.feed({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
    ... # doctest: +ELLIPSIS
    [ChannelDone(channel=Channel(..., id='call_1', ...), eof=False), \
Stopped(provider='openai', reason='tool_calls', choice=0, message=None)]

    Use one demux per streamed response: channels are told apart within it (a recording that
    chains several Anthropic messages or Responses responses keeps them apart too, by message
    number and item id), but an OpenAI chat choice has one content channel per demux.

    ``provider`` names the API family (:data:`Provider`); without it the first payload whose
    shape tells decides (payloads before it are ignored). Payloads of other shapes are ignored
    as unknown events are. ``close()`` ends the response and returns a :class:`ChannelDone`
    with ``eof=True`` for every channel the provider left open (their text is probably cut
    short; nothing is added to it). Feeding after ``close()`` raises :class:`ProviderError`.
    """

    __slots__ = ("_closed", "_handler")

    def __init__(self, provider: Provider | None = None) -> None:
        self._handler: _Handler | None = None
        if provider is not None:
            if provider not in _HANDLERS:
                raise ValueError(f"unknown provider {provider!r}: one of {', '.join(_HANDLERS)}")
            self._handler = _HANDLERS[provider]()
        self._closed = False

    @property
    def provider(self) -> Provider | None:
        """The API family the payloads are read as (``None`` until one is recognised)."""
        return None if self._handler is None else self._handler.provider

    @property
    def open_channels(self) -> list[Channel]:
        """The channels begun and not yet done, in the order they began."""
        h = self._handler
        return [] if h is None else [s.channel for s in h.streams if not s.done]

    def feed(self, payload: Mapping[str, Any]) -> list[DemuxEvent]:
        """Read one payload; return its events in order (see :data:`DemuxEvent`)."""
        if self._closed:
            raise ProviderError("ChannelDemux.feed() after close()", payload)
        if type(payload) is not dict and not isinstance(payload, Mapping):
            raise TypeError(f"a payload is a mapping (parsed JSON), not {type(payload).__name__}")
        if payload.get("type") == "error" or payload.get("error"):
            self._error(payload)
        h = self._handler
        if h is None:
            provider = detect_provider(payload)
            if provider is None:
                return []
            h = self._handler = _HANDLERS[provider]()
        out: list[DemuxEvent] = []
        h.feed(payload, out)
        return out

    def _error(self, payload: Mapping[str, Any]) -> None:
        err = payload.get("error")
        detail = err.get("message") if isinstance(err, Mapping) else err or payload.get("message")
        raise ProviderError(
            f"the provider sent an error: {detail or payload!r}", payload, self.open_channels
        )

    def close(self) -> list[ChannelDone]:
        """End the response: ``ChannelDone(eof=True)`` for each channel still open."""
        if self._closed:
            return []
        self._closed = True
        out: list[DemuxEvent] = []
        if self._handler is not None:
            self._handler.close(out)
        return [e for e in out if isinstance(e, ChannelDone)]
