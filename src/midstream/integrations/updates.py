"""``updates(source)``: the partial JSON values of a streamed LLM response, channel by channel.

::

    stream = client.chat.completions.create(..., stream=True)
    for u in midstream.updates(stream, model=Weather):
        render(u.channel, u.value)         # the partial value after every delta
        if u.done:
            use(u.result)                  # complete, and validated when a model applies

The pipeline (one :class:`Updater`, sans-I/O, shared by :func:`updates` and :func:`aupdates`)::

    source --(sources)--> SSE body bytes | SSE events | payloads | SDK objects
           --(sse.SSEDecoder, JSON)--> payloads --(providers.ChannelDemux)--> channel events
           --(one parser per channel: fences.Unwrap, Parser / ModelParser)--> Update

What a channel carries, by its :attr:`Channel.kind <midstream.integrations.providers.Channel>`:

* **tool arguments** (``tool_call``, ``tool_use``, ``function_call``, ``mcp_call``): JSON,
  strictly (a malformed text raises :class:`~midstream.ParseError`); validated by
  ``tools[channel.name]`` when ``tools`` names it. Not unwrapped unless ``unwrap=True``.
* **text** (``content``, ``text``, ``output_text``): unwrapped by default (prose and a
  Markdown fence before the first ``{`` or ``[`` are skipped; what follows the value is
  ignored, unread). With ``model``, validated and strict. Without a model, best effort: the
  text may be prose (Anthropic's narration around tool calls): until a value begins, and for
  good once the text turns out not to be JSON (a ``ParseError``), the channel's updates carry
  ``value=None``, and the channel ends with a ``done`` update whose value is ``None``.
  ``unwrap=False`` makes text channels strict too.
* **refusal** (``refusal``): prose, never parsed: ``value`` is ``None``, the text is in
  ``delta``.

One parser per channel: parallel tool calls never share a buffer.

``Update.value`` is the parser's *live* object (the :class:`~midstream.Parser` contract): the
same dict or list, grown in place by later deltas, so reading it costs nothing. The updates of
one SSE event are handed out before the next event is read, so a value read when its update
arrives is the channel's value after that event; keep a snapshot with ``copy.deepcopy``.

Text channels are parsed with ``Parser(trailing="ignore")`` after :class:`Unwrap`. A model
channel is fed up to the closing bracket of its value (the text is cut at each ``}`` / ``]`` of
a delta until a plain ``Parser`` beside it says the value is complete), since ``ModelParser``
reads no further than its value.

``done`` is ``True`` on exactly one update of a channel that completes: the one whose delta
completes its value (and, with a model, validates it), which may come before the provider says
the channel has ended. Deltas after that (a closing fence, prose, whitespace) still come as
updates (``done=False``, the final value); a channel that carries no JSON (prose, a refusal)
is done when the provider ends it (``delta=""``, ``value=None``).

Cut streams. A channel whose text ends before its value does (a token limit: OpenAI
``finish_reason: "length"``, Anthropic ``stop_reason: "max_tokens"``; a connection that
closed early; a source that ran out) never gets ``done``: its last updates carry its partial
value, and once the source is over :class:`IncompleteStreamError` (an
:class:`~midstream.IncompleteJSONError`) is raised with that partial value (``partial``),
the channel, the provider's stop reason and the partial value of every cut channel
(``partials``). A value is never completed by guessing: cut arguments never become ``{}``,
a top-level number at a connection drop is not taken as complete.

Errors and cancellation. ``updates`` raises :class:`~midstream.ParseError` (malformed JSON in a
strict channel), :class:`~midstream.StreamValidationError` (a model rejected a part: raised in
the update where that part closed, ``consumed`` says how many characters of the channel had
been read), :class:`~midstream.integrations.providers.ProviderError` (an error payload) and
:class:`IncompleteStreamError`; errors of the source itself (the network) pass through as they
are. Whenever reading stops before the end (an error, the caller leaving the loop and the
iterator being closed or collected, ``close()``, the end of a ``with`` block), the upstream is
closed at once: the SDK stream's ``close()`` / the HTTP response's ``close()`` (``aclose()``
for async sources), so the provider stops generating. ``[DONE]`` ends the reading too.
"""

from __future__ import annotations

import json
import re
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Callable,
    Generator,
    Iterator,
    Mapping,
    Sequence,
)
from types import TracebackType
from typing import Any, NamedTuple

import orjson

from ..engine.build import DEFAULT_LIMITS
from ..errors import IncompleteJSONError, MidstreamError, ParseError
from ..parser import Parser
from .fences import Unwrap
from .providers import (
    Channel,
    ChannelDemux,
    ChannelDone,
    ChannelOpened,
    Delta,
    Provider,
    ProviderError,
    Stopped,
)
from .sources import (
    AsyncSource,
    Source,
    aclose_unopened,
    close_unopened,
    open_async,
    open_sync,
    payload_of,
)
from .sse import DONE, SSEDecoder

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..validation.model import ModelParser

__all__ = [
    "AsyncUpdates",
    "IncompleteStreamError",
    "Update",
    "Updater",
    "Updates",
    "aupdates",
    "updates",
]


class Update(NamedTuple):
    """What one delta (or the end of a channel) did to that channel's value.

    A ``NamedTuple``: immutable, without a ``__dict__``, the cheapest object CPython builds (one
    is made per delta).

    ``channel``      the :class:`~midstream.integrations.providers.Channel` (its identity:
                     provider, kind, choice, index, id, name, message, part).
    ``value``        the channel's partial value, live (see the module docstring); ``None``
                     until a value begins and for a channel that carries no JSON.
    ``delta``        the text this update added, as the provider sent it (``""`` on an update
                     that only ends a channel).
    ``done``         ``True`` on the one update where the value is complete (and validated).
    ``validated``    with a model: the parts this delta completed and the model accepted
                     (:class:`~midstream.Validated`), innermost first; else ``()``.
    ``result``       on the ``done`` update: the final value (the model's validated object
                     when a model applies, else the same object as ``value``); else ``None``.
    ``stop_reason``  the provider's stop reason for the channel's choice / message / response,
                     when it had arrived by this update (OpenAI sends it with the end of the
                     choice; Anthropic after the last block): see also
                     :attr:`Updates.stop_reason` and :attr:`IncompleteStreamError.stop_reason`.
    """

    channel: Channel
    value: Any
    delta: str
    done: bool = False
    validated: Sequence[Any] = ()
    result: Any = None
    stop_reason: str | None = None


_new = tuple.__new__  # builds an Update without the Python-level NamedTuple.__new__
_U = Update


class IncompleteStreamError(IncompleteJSONError):
    """The stream ended before a channel's JSON value did (see "Cut streams" in the module
    docstring).

    ``channel`` is the first channel cut short, ``partial`` its partial value (the model's
    typed partial value when a model applies), ``stop_reason`` the provider's stop reason for
    it (``"length"``, ``"max_tokens"``, ...; ``None`` when the stream just ended), and
    ``partials`` maps every channel cut short to its partial value. ``offset`` is the length
    of that channel's text (after unwrapping); ``line`` and ``column`` are not tracked (1, 1).
    """

    channel: Channel | None
    stop_reason: str | None
    partials: dict[Channel, Any]

    def __init__(
        self,
        msg: str,
        offset: int = 0,
        line: int = 1,
        column: int = 1,
        excerpt: str = "",
        partial: Any = None,
    ) -> None:
        super().__init__(msg, offset, line, column, excerpt, partial)
        self.args = (msg,)  # (where in the channel's text: offset)
        self.channel = None
        self.stop_reason = None
        self.partials = {}

    def __reduce__(self) -> tuple[Any, ...]:
        state = {
            "channel": self.channel,
            "stop_reason": self.stop_reason,
            "partials": self.partials,
        }
        return (*super().__reduce__(), state)


def _describe(ch: Channel) -> str:
    what = f"{ch.provider} {ch.kind}"
    if ch.name:
        what += f" {ch.name!r}"
    if ch.id:
        what += f" (id {ch.id})"
    elif ch.index is not None:
        what += f" (index {ch.index})"
    return what


def _raw_value(mp: ModelParser[Any]) -> Any:
    """A ModelParser's raw partial value (``mp.value`` once every ModelParser has it)."""
    return mp._parser.value


# Channel modes
_JSON, _MODEL, _PROSE = 0, 1, 2

_TEXT_KINDS = frozenset({"content", "text", "output_text"})
_CLOSERS = re.compile(r"[}\]]")


class _State:
    """One channel: its parser and where it stands."""

    __slots__ = (
        "channel",
        "done",
        "ended",
        "fast",
        "fed",
        "feed",
        "guard",
        "lenient",
        "mode",
        "model",
        "parser",
        "strict_tail",
        "unwrap",
    )

    def __init__(self, channel: Channel, mode: int) -> None:
        self.channel = channel
        self.mode = mode
        self.model: Any = None  # the type a MODEL channel is validated against
        self.parser: Any = None  # Parser (JSON) or ModelParser (MODEL), once the value begins
        self.feed: Callable[[str], Any] | None = None
        self.guard: Parser | None = None  # MODEL: finds where the value ends
        self.unwrap: Unwrap | None = None  # until the value begins
        self.lenient = False  # a ParseError makes the channel prose instead of raising
        self.strict_tail = False  # what follows the value must be whitespace
        self.done = False  # the done update was made
        self.ended = False  # the provider ended it (or it was cut)
        self.fast = False  # the plain path: a JSON channel whose value has begun, not done
        self.fed = 0  # characters given to the parser

    def value(self) -> Any:
        if self.parser is None:
            return None
        if self.mode == _JSON:
            return self.parser.value
        if self.mode == _MODEL:
            return _raw_value(self.parser)
        return None


def _loads(data: str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        try:
            return json.loads(data)  # what orjson refuses (a lone surrogate, big integers)
        except ValueError:
            raise ProviderError(f"an event's data is not JSON: {data[:80]!r}", data) from None


def _feed_to_end(feed: Callable[[str], Sequence[Any]], piece: str) -> int:
    """Feed ``piece`` up to the end of the top-level value: where it ends (-1: not in it)."""
    i = 0
    for m in _CLOSERS.finditer(piece):
        j = m.end()
        if feed(piece[i:j]):
            return j
        i = j
    if i < len(piece) and feed(piece[i:]):
        return len(piece)  # a top-level string or literal (a channel not unwrapped)
    return -1


class Updater:
    """Sans-I/O core of :func:`updates`: feed it what arrives, get :class:`Update` lists.

    ``feed_body(chunk)`` takes SSE body bytes or text (split anywhere); ``feed_event(sse)`` an
    SSE event (``.data``); ``feed_payload(mapping)`` a decoded payload; ``feed_object(obj)`` an
    SDK event object. Each returns the updates it made, in order. ``close()`` ends the stream:
    it returns the last updates, or raises :class:`IncompleteStreamError`.

    An error (``ParseError``, ``StreamValidationError``, ``ProviderError``) stops the updater:
    the feed that met it returns the updates made before it, ``failed`` holds it, and every
    later call raises it. ``finished`` is ``True`` once ``[DONE]`` arrived (read no further).
    """

    def __init__(
        self,
        *,
        model: Any = None,
        tools: Mapping[str, Any] | None = None,
        provider: Provider | None = None,
        unwrap: bool | None = None,
        partial_strings: bool = True,
        max_depth: int = DEFAULT_LIMITS["max_depth"],
        max_string: int = DEFAULT_LIMITS["max_string"],
        max_number: int = DEFAULT_LIMITS["max_number"],
        engine: str | None = None,
    ) -> None:
        self._demux = ChannelDemux(provider)
        self._dfeed = self._demux.feed
        self._sse: SSEDecoder | None = None
        self._model = model
        self._tools = dict(tools or {})
        self._unwrap = unwrap
        self._opts: dict[str, Any] = {
            "partial_strings": partial_strings,
            "max_depth": max_depth,
            "max_string": max_string,
            "max_number": max_number,
            "engine": engine,
        }
        # by id(channel): the demux gives one Channel object per channel, kept alive by its
        # state, and an int hashes in C (Channel.__hash__ is a Python call on every lookup)
        self._states: dict[int, _State] = {}
        self._cut: list[tuple[Channel, int, str, Any]] = []  # channel, fed, why, partial
        #: The provider's stop events so far (one per choice / message / response).
        self.stops: list[Stopped] = []
        #: The error that stopped the updater, if any.
        self.failed: MidstreamError | None = None
        #: ``[DONE]`` arrived: the stream is over (nothing after it is read).
        self.finished = False
        #: Payloads read so far.
        self.payloads = 0
        self._closed = False

    @property
    def provider(self) -> Provider | None:
        """The API family the payloads are read as (``None`` until one is recognised)."""
        return self._demux.provider

    @property
    def stop_reason(self) -> str | None:
        """The last stop reason the provider gave (``None`` before one came)."""
        return self.stops[-1].reason if self.stops else None

    @property
    def channels(self) -> list[Channel]:
        """Every channel begun so far, in order."""
        return [st.channel for st in self._states.values()]

    # -- feeding -----------------------------------------------------------------------------

    def feed_body(self, chunk: bytes | bytearray | memoryview | str) -> list[Update]:
        """SSE body bytes or text: the updates of the events it completes.

        The values are live: in a list made from several events, an early update's ``value``
        already shows the later deltas of its channel. :func:`updates` hands out each event's
        updates before it reads the next event (:meth:`decode` then :meth:`feed_data`).
        """
        out: list[Update] = []
        for data in self.decode(chunk):
            out += self.feed_data(data)
            if self.failed is not None or self.finished:
                break
        return out

    def decode(self, chunk: bytes | bytearray | memoryview | str) -> list[str]:
        """SSE body bytes or text: the data of the events it completes (for :meth:`feed_data`)."""
        if self.failed is not None or self._closed:
            self._refuse()
        return [ev[1] for ev in self._decoder().feed(chunk)]

    def _decoder(self) -> SSEDecoder:
        sse = self._sse
        if sse is None:
            sse = self._sse = SSEDecoder()
        return sse

    def feed_data(self, data: str) -> list[Update]:
        """The data of one SSE event (JSON, or ``[DONE]``): the updates of its payload."""
        if self.failed is not None or self._closed:
            self._refuse()
        out: list[Update] = []
        if self.finished or not data:
            return out
        if data == DONE:
            self.finished = True
            return out
        try:
            self._payload(_loads(data), out)
        except MidstreamError as e:
            self.failed = e
        return out

    def feed_event(self, event: Any) -> list[Update]:
        """An SSE event (anything with ``.data``): the updates of its payload."""
        return self.feed_data(event.data)

    def feed_payload(self, payload: Mapping[str, Any]) -> list[Update]:
        """A decoded payload: its updates."""
        if self.failed is not None or self._closed:
            self._refuse()
        out: list[Update] = []
        try:
            self._payload(payload, out)
        except MidstreamError as e:
            self.failed = e
        return out

    def feed_object(self, obj: Any) -> list[Update]:
        """An SDK event object (pydantic): the updates of the payload it was made from."""
        payload = payload_of(obj)
        if payload is None:
            return []
        return self.feed_payload(payload)

    def close(self) -> list[Update]:
        """The end of the stream: the channels it ends, or :class:`IncompleteStreamError`."""
        if self.failed is not None:
            raise self.failed
        out: list[Update] = []
        if not self._closed:
            self._closed = True
            try:
                if self._sse is not None and not self.finished:
                    for ev in self._sse.close():  # a last event without its blank line
                        if ev[1] == DONE:
                            break
                        try:
                            payload = _loads(ev[1])
                        except ProviderError:  # cut short with the body: nothing in it
                            break
                        self._payload(payload, out)
                for done in self._demux.close():
                    self._end(self._states[id(done.channel)], True, out)
            except MidstreamError as e:
                self.failed = e
                raise
        if self._cut:
            raise self._cut_error()
        return out

    def _refuse(self) -> None:
        if self.failed is not None:
            raise self.failed
        raise MidstreamError("Updater: feed after close()")

    # -- the channels ------------------------------------------------------------------------

    def _payload(self, p: Mapping[str, Any], out: list[Update]) -> None:
        """One payload: its updates appended to ``out`` (the hot path: kept flat)."""
        self.payloads += 1
        events = self._dfeed(p)
        if not events:
            return
        stops = self.stops
        if len(events) > 1 or events[0].__class__ is Stopped:
            # a stop is known before the ends it comes with (OpenAI: the choice's channels
            # end, then its finish_reason)
            stops += [e for e in events if isinstance(e, Stopped)]
        states = self._states
        for ev in events:
            cls = ev.__class__
            if cls is Delta:
                ch, text = ev  # type: ignore[misc]
                st = states[id(ch)]
                if st.fast:
                    st.fed += len(text)
                    try:
                        complete = st.feed(text)  # type: ignore[misc]
                    except ParseError as e:
                        self._not_json(st, text, e, out)
                        continue
                    if complete:
                        self._complete(st, text, (), out)
                    else:
                        reason = self._reason(ch) if stops else None
                        out.append(_new(_U, (ch, st.parser.value, text, False, (), None, reason)))
                else:
                    self._delta(st, text, out)
            elif cls is ChannelOpened:
                ch = ev.channel  # type: ignore[union-attr]
                states[id(ch)] = self._open(ch)
            elif cls is ChannelDone:
                self._end(states[id(ev.channel)], ev.eof, out)  # type: ignore[union-attr]

    def _open(self, ch: Channel) -> _State:
        kind = ch.kind
        if kind == "refusal":
            return _State(ch, _PROSE)
        if kind in _TEXT_KINDS:
            model = self._model
            unwrap = True if self._unwrap is None else self._unwrap
        else:
            model = self._tools.get(ch.name) if self._tools and ch.name else None
            unwrap = bool(self._unwrap)
        st = _State(ch, _JSON if model is None else _MODEL)
        st.model = model
        st.lenient = model is None and unwrap and kind in _TEXT_KINDS
        st.strict_tail = not unwrap
        if unwrap:  # the parser is made when the value begins (prose never needs one)
            st.unwrap = Unwrap()
        else:
            self._make_parser(st)
            st.fast = st.mode == _JSON
        return st

    def _make_parser(self, st: _State) -> None:
        opts = self._opts
        if st.mode == _JSON:
            if st.strict_tail:
                st.parser = Parser(**opts)
                st.feed = st.parser.feed
                return
            st.parser = Parser(trailing="ignore", **opts)
            st.feed = st.parser.feed
        else:
            from ..validation.model import ModelParser

            st.parser = ModelParser(st.model, **opts)
            st.guard = Parser(**opts)

    def _reason(self, ch: Channel) -> str | None:
        """The stop reason that applies to the channel, if one has come."""
        for s in reversed(self.stops):
            if s.choice is not None:
                if s.choice == ch.choice:
                    return s.reason
            elif s.message is not None:
                if s.message == ch.message:
                    return s.reason
            else:
                return s.reason
        return None

    def _delta(self, st: _State, text: str, out: list[Update]) -> None:
        """A delta off the plain path: unwrapping, a model, a done or prose channel."""
        ch = st.channel
        reason = self._reason(ch) if self.stops else None
        if st.done or st.ended:
            if st.strict_tail and not st.ended:  # after the value: whitespace only
                if st.mode == _JSON:
                    st.parser.feed(text)
                elif st.guard is not None:
                    st.guard.feed(text)
            out.append(_new(_U, (ch, st.value(), text, False, (), None, reason)))
            return
        if st.mode == _PROSE:
            out.append(_new(_U, (ch, None, text, False, (), None, reason)))
            return
        piece = text
        u = st.unwrap
        if u is not None:
            piece = u.feed(text)
            if not u.started:
                out.append(_new(_U, (ch, None, text, False, (), None, reason)))
                return
            st.unwrap = None
            self._make_parser(st)
            st.fast = st.mode == _JSON
        st.fed += len(piece)
        if st.mode == _JSON:
            try:
                complete = st.feed(piece)  # type: ignore[misc]
            except ParseError as e:
                self._not_json(st, text, e, out)
                return
            if complete:
                self._complete(st, text, (), out)
            else:
                out.append(_new(_U, (ch, st.parser.value, text, False, (), None, reason)))
            return
        # a model: the guard finds where the value ends, the model parser gets that much
        guard = st.guard
        assert guard is not None
        mp = st.parser
        end = _feed_to_end(guard.feed, piece)
        validated = mp.feed(piece if end < 0 else piece[:end])
        if end < 0:
            out.append(_new(_U, (ch, _raw_value(mp), text, False, validated, None, reason)))
            return
        if st.strict_tail and end < len(piece):
            guard.feed(piece[end:])
        self._complete(st, text, validated, out)

    def _complete(self, st: _State, text: str, validated: Sequence[Any], out: list[Update]) -> None:
        """The value is complete: validate it whole (a model), make the done update."""
        st.done = True
        st.fast = False
        if st.mode == _MODEL:
            result = st.parser.close()
            value = _raw_value(st.parser)
        else:
            value = result = st.parser.value
        reason = self._reason(st.channel) if self.stops else None
        out.append(_new(_U, (st.channel, value, text, True, validated, result, reason)))

    def _not_json(self, st: _State, text: str, error: ParseError, out: list[Update]) -> None:
        """A ParseError in a channel: raised, or (a text channel without a model) prose."""
        if not st.lenient:
            raise error
        st.mode = _PROSE
        st.fast = False
        st.parser = st.feed = None
        reason = self._reason(st.channel) if self.stops else None
        out.append(_new(_U, (st.channel, None, text, False, (), None, reason)))

    def _end(self, st: _State, eof: bool, out: list[Update]) -> None:
        """The provider ended the channel (``eof``: the stream ended first)."""
        if st.ended:
            return
        st.ended = True
        st.fast = False
        if st.done:
            return
        ch = st.channel
        if st.mode == _PROSE or (st.lenient and st.unwrap is not None):
            if not eof:  # prose, or a text in which no JSON value began
                st.done = True
                reason = self._reason(ch) if self.stops else None
                out.append(_new(_U, (ch, None, "", True, (), None, reason)))
            return
        value = st.value()
        if st.parser is None or eof or value.__class__ is dict or value.__class__ is list:
            # Cut: not closed (close() would complete a number cut short, "[12" -> [12], in
            # the live value the caller holds); the partial value is the last one shown.
            partial = st.parser.partial if st.mode == _MODEL and st.parser is not None else value
            where = "inside" if value is not None else "before"
            self._cut.append((ch, st.fed, f"the text ended {where} the value", partial))
            return
        try:  # nothing or a top-level scalar (a number ends with the text)
            result = st.parser.close()
        except IncompleteJSONError as e:
            self._cut.append((ch, st.fed, e.msg, None))
            return
        st.done = True
        value = st.value()
        reason = self._reason(ch) if self.stops else None
        out.append(_new(_U, (ch, value, "", True, (), result, reason)))

    def _cut_error(self) -> IncompleteStreamError:
        ch, fed, msg, partial = self._cut[0]
        reason = self._reason(ch)
        why = f"stop reason {reason!r}" if reason else "the stream ended"
        err = IncompleteStreamError(
            f"the {_describe(ch)} channel ended before its JSON value did ({why}; "
            f"{len(self._cut)} channel(s) cut; {msg} after {fed} characters)",
            fed,
            partial=partial,
        )
        err.channel = ch
        err.stop_reason = reason
        err.partials = {c: p for c, _, _, p in self._cut}
        return err


# -- the drivers -----------------------------------------------------------------------------


def _feeder(u: Updater, kind: str) -> Callable[[Any], list[Update]]:
    if kind == "events":
        return u.feed_event
    if kind == "payloads":
        return u.feed_payload
    return u.feed_object


def _run(source: Any, u: Updater, started: list[bool]) -> Generator[Update, None, None]:
    src: Source | None = None
    ok = False
    started.append(True)
    try:
        src = open_sync(source)
        if src.kind == "body":  # each event's updates before the next event is read
            sse_feed, payload = u._decoder().feed, u._payload
            for chunk in src.items:
                for ev in sse_feed(chunk):
                    data = ev[1]
                    if data == DONE:
                        u.finished = True
                        break
                    out: list[Update] = []
                    try:
                        payload(_loads(data), out)
                    except MidstreamError as e:
                        u.failed = e
                    for up in out:  # (faster than yield from, for a list of one or two)
                        yield up
                    if u.failed is not None:
                        raise u.failed
                if u.finished:
                    break
        else:
            feed = _feeder(u, src.kind)
            for item in src.items:
                for up in feed(item):
                    yield up
                if u.failed is not None:
                    raise u.failed
                if u.finished:
                    break
        yield from u.close()
        ok = True
    finally:
        if src is not None:
            try:
                src.close()
            except Exception:
                if ok:
                    raise


async def _arun(source: Any, u: Updater, started: list[bool]) -> AsyncGenerator[Update, None]:
    src: AsyncSource | None = None
    ok = False
    started.append(True)
    try:
        src = await open_async(source)
        if src.kind == "body":
            sse_feed, payload = u._decoder().feed, u._payload
            async for chunk in src.items:
                for ev in sse_feed(chunk):
                    data = ev[1]
                    if data == DONE:
                        u.finished = True
                        break
                    out: list[Update] = []
                    try:
                        payload(_loads(data), out)
                    except MidstreamError as e:
                        u.failed = e
                    for up in out:
                        yield up
                    if u.failed is not None:
                        raise u.failed
                if u.finished:
                    break
        else:
            feed = _feeder(u, src.kind)
            async for item in src.items:
                for up in feed(item):
                    yield up
                if u.failed is not None:
                    raise u.failed
                if u.finished:
                    break
        for up in u.close():
            yield up
        ok = True
    finally:
        if src is not None:
            try:
                await src.aclose()
            except Exception:
                if ok:
                    raise


class _Report:
    """How the response went, from the :class:`Updater` (shared by both iterators)."""

    __slots__ = ()
    updater: Updater

    @property
    def stop_reason(self) -> str | None:
        """The provider's last stop reason (``"stop"``, ``"tool_use"``, ``"length"``, ...)."""
        return self.updater.stop_reason

    @property
    def stops(self) -> list[Stopped]:
        """Every stop event so far."""
        return self.updater.stops

    @property
    def provider(self) -> Provider | None:
        """The API family recognised (or named)."""
        return self.updater.provider

    @property
    def channels(self) -> list[Channel]:
        """Every channel begun so far."""
        return self.updater.channels


class Updates(_Report):
    """The iterator :func:`updates` returns: ``for u in updates(...)`` iterates its generator
    directly (no wrapper per update). ``close()`` (or leaving a ``with`` block) stops reading
    and closes the upstream; ``stop_reason``, ``stops``, ``provider``, ``channels`` and
    ``updater`` tell how the response went."""

    __slots__ = ("_gen", "_source", "_started", "updater")

    def __init__(self, source: Any, updater: Updater) -> None:
        self.updater = updater
        self._source = source
        self._started: list[bool] = []  # (not self: the generator must not refer to it)
        self._gen = _run(source, updater, self._started)

    def __iter__(self) -> Iterator[Update]:
        return self._gen

    def __next__(self) -> Update:
        return next(self._gen)

    def close(self) -> None:
        """Stop reading and close the upstream (the SDK stream, the HTTP response)."""
        self._gen.close()
        if not self._started:
            close_unopened(self._source)

    def __enter__(self) -> Updates:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncUpdates(_Report):
    """The async iterator :func:`aupdates` returns (see :class:`Updates`): ``aclose()``,
    ``async with``."""

    __slots__ = ("_gen", "_source", "_started", "updater")

    def __init__(self, source: Any, updater: Updater) -> None:
        self.updater = updater
        self._source = source
        self._started: list[bool] = []
        self._gen = _arun(source, updater, self._started)

    def __aiter__(self) -> AsyncIterator[Update]:
        return self._gen

    async def __anext__(self) -> Update:
        return await self._gen.__anext__()

    async def aclose(self) -> None:
        """Stop reading and close the upstream."""
        await self._gen.aclose()
        if not self._started:
            await aclose_unopened(self._source)

    async def __aenter__(self) -> AsyncUpdates:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def updates(
    source: Any,
    *,
    model: Any = None,
    tools: Mapping[str, Any] | None = None,
    provider: Provider | None = None,
    unwrap: bool | None = None,
    partial_strings: bool = True,
    max_depth: int = DEFAULT_LIMITS["max_depth"],
    max_string: int = DEFAULT_LIMITS["max_string"],
    max_number: int = DEFAULT_LIMITS["max_number"],
    engine: str | None = None,
) -> Updates:
    """The :class:`Update` of every delta of a streamed LLM response (see the module docstring).

    ``source``: an OpenAI or Anthropic SDK stream (``create(..., stream=True)``, the
    ``.stream(...)`` helpers, entered or not), an HTTP response, the raw SSE body as ``bytes``
    / ``str`` chunks, or an iterable of SSE events or decoded payloads
    (:mod:`midstream.integrations.sources`). Nothing is read before the first ``next()``.

    ``model``: a type (pydantic model, ``list[Model]`` ...) the text channels' JSON must
    satisfy (``response_format``, structured outputs). ``tools``: ``{name: type}`` for the
    arguments of the tool calls of that name. ``provider``: the API family
    (:data:`~midstream.integrations.providers.Provider`), else recognised from the payloads.
    ``unwrap``: skip prose and a Markdown fence before the value (default: text channels yes,
    tool arguments no). The other options are the parsers' (:class:`~midstream.Parser`).
    """
    u = Updater(
        model=model,
        tools=tools,
        provider=provider,
        unwrap=unwrap,
        partial_strings=partial_strings,
        max_depth=max_depth,
        max_string=max_string,
        max_number=max_number,
        engine=engine,
    )
    return Updates(source, u)


def aupdates(
    source: Any,
    *,
    model: Any = None,
    tools: Mapping[str, Any] | None = None,
    provider: Provider | None = None,
    unwrap: bool | None = None,
    partial_strings: bool = True,
    max_depth: int = DEFAULT_LIMITS["max_depth"],
    max_string: int = DEFAULT_LIMITS["max_string"],
    max_number: int = DEFAULT_LIMITS["max_number"],
    engine: str | None = None,
) -> AsyncUpdates:
    """The async twin of :func:`updates`: ``async for u in aupdates(stream)`` over an async SDK
    stream (``AsyncOpenAI`` / ``AsyncAnthropic``), an async HTTP response
    (``aiter_bytes()``), or an async (or plain) iterable of chunks, events or payloads."""
    u = Updater(
        model=model,
        tools=tools,
        provider=provider,
        unwrap=unwrap,
        partial_strings=partial_strings,
        max_depth=max_depth,
        max_string=max_string,
        max_number=max_number,
        engine=engine,
    )
    return AsyncUpdates(source, u)
