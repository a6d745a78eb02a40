"""Server-Sent Events: an incremental, sans-I/O decoder of ``text/event-stream`` bodies.

It follows the HTML standard, "Interpreting an event stream"
(https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):

* the bytes are decoded as UTF-8 (malformed sequences become U+FFFD); a multi-byte sequence cut
  between two chunks is held back until its end arrives; one BOM at the very start is dropped;
* lines end at CRLF, LF or CR. A chunk that ends with CR followed by a chunk that starts with LF
  is one line end (CRLF), not two;
* a blank line dispatches the event; a line starting with ``:`` is a comment; a line without
  ``:`` is a field name with an empty value; one space after the ``:`` is removed;
* ``data`` lines are joined with ``\\n``; an event whose data buffer is empty is not dispatched
  (its ``event`` type is forgotten); ``event`` sets the type (``"message"`` when empty);
  ``id`` sets the last event id unless it contains NUL, and that id persists across events
  (:attr:`SSEDecoder.last_event_id`, and ``ServerSentEvent.id`` of every later event);
  ``retry`` is taken only when it is ASCII digits; other fields are ignored.

``[DONE]`` (OpenAI's end-of-stream marker) is ordinary data at this layer:
:attr:`ServerSentEvent.is_done` recognises it.

The end of the stream. The standard discards an event that is not followed by a blank line when
the stream ends. Recorded provider bodies (Anthropic's among them) end exactly that way, so by
default :meth:`SSEDecoder.close` dispatches that last event (and takes an unterminated last line
as a line); ``SSEDecoder(strict=True)`` discards it as the standard says.

Cost. Each chunk is scanned for line ends by ``str`` methods (C loops): a chunk without a line
end is only appended to a list of pieces, joined once when its line ends, so a long line cut
into many chunks costs O(its length), not O(length x chunks). The complete lines of a chunk are
then handled in one Python loop, a few operations per line; nothing is ever re-scanned.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Any, NamedTuple

from ..errors import MidstreamError

__all__ = ["DONE", "SSEDecoder", "ServerSentEvent", "aiter_sse", "iter_sse"]

#: The data of the event with which OpenAI-style APIs end a stream (``data: [DONE]``).
DONE = "[DONE]"

Chunk = bytes | bytearray | memoryview | str


class ServerSentEvent(NamedTuple):
    """One dispatched event: an immutable, typed record (a ``NamedTuple``: the decoder makes one
    per event, and a tuple is the cheapest immutable object CPython builds).

    ``event`` is the type (``"message"`` unless an ``event:`` field named another), ``data`` the
    ``data:`` lines joined with ``\\n``, ``id`` the last event id *when the event was dispatched*
    (it persists from earlier events, as ``MessageEvent.lastEventId``), ``retry`` the reconnection
    time (ms) given by a ``retry:`` field of this event, else ``None``.
    """

    event: str = "message"
    data: str = ""
    id: str = ""
    retry: int | None = None

    @property
    def is_done(self) -> bool:
        """True for the ``data: [DONE]`` event that ends OpenAI-style streams."""
        return self.data == DONE

    def json(self) -> Any:
        """The data parsed as JSON (``json.loads``)."""
        return json.loads(self.data)


_NOTHING, _BOM, _LF = 0, 1, 2  # SSEDecoder._head

_new = tuple.__new__  # builds a ServerSentEvent without the Python-level NamedTuple.__new__
_SSE = ServerSentEvent


class SSEDecoder:
    """Push decoder: :meth:`feed` chunks of the body, get the events they complete.

    >>> d = SSEDecoder()
    >>> d.feed(b'event: delta\\r\\ndata: {"a"')
    []
    >>> d.feed(b': 1}\\r')
    []
    >>> d.feed(b'\\n\\r\\ndata: [DONE]\\n\\n')
    [ServerSentEvent(event='delta', data='{"a": 1}', id='', retry=None), \
ServerSentEvent(event='message', data='[DONE]', id='', retry=None)]
    >>> d.close()
    []

    ``feed`` takes ``bytes`` (UTF-8, cut anywhere) or ``str`` (already decoded); the two may be
    mixed, but ``str`` fed while a UTF-8 sequence is cut ends that sequence as U+FFFD.
    ``close()`` ends the stream and returns what the end completes: the last event when it lacks
    its blank line, unless ``strict=True`` (see the module docstring). Feeding after ``close()``
    raises :class:`~midstream.MidstreamError`.

    ``last_event_id`` starts as the given value (the ``Last-Event-ID`` a reconnection sent) and
    follows the ``id`` fields; ``retry`` is the latest reconnection time the stream set.
    """

    __slots__ = (
        "_closed",
        "_data",
        "_decode",
        "_event",
        "_event_retry",
        "_head",
        "_last_id",
        "_pieces",
        "_retry",
        "_strict",
        "_utf8",
    )

    def __init__(self, *, strict: bool = False, last_event_id: str = "") -> None:
        self._strict = strict
        self._utf8 = codecs.getincrementaldecoder("utf-8")("replace")
        self._decode = self._utf8.decode
        # What the first character of the next text must be checked for: _BOM at the start of
        # the stream, _LF after a text that ended with CR (CRLF cut in two), else _NOTHING.
        self._head = _BOM
        self._pieces: list[str] = []  # the current line, not yet ended
        self._data: list[str] = []  # the event's data lines
        self._event = ""
        self._event_retry: int | None = None
        self._last_id = last_event_id
        self._retry: int | None = None
        self._closed = False

    @property
    def last_event_id(self) -> str:
        """The last event id: set by ``id`` fields, it persists across events."""
        return self._last_id

    @property
    def retry(self) -> int | None:
        """The reconnection time (ms) most recently set by a ``retry`` field, else ``None``."""
        return self._retry

    def feed(self, chunk: Chunk) -> list[ServerSentEvent]:
        """Decode one chunk; return the events it completes (often none, sometimes several)."""
        if self._closed:
            raise MidstreamError("SSEDecoder.feed() after close()")
        if isinstance(chunk, bytes):
            text = self._decode(chunk)
        elif isinstance(chunk, str):
            text = chunk
            if self._utf8.getstate()[0]:  # bytes before ended inside a UTF-8 sequence
                text = self._decode(b"", True) + text
        elif isinstance(chunk, (bytearray, memoryview)):
            text = self._decode(chunk)
        else:
            raise TypeError(f"SSEDecoder.feed() takes bytes or str, not {type(chunk).__name__}")
        # The same steps as _text(), inlined: this runs once per network chunk.
        if not text:
            return []
        if self._head:
            text = self._skip_head(text)
            if not text:
                return []
        if "\r" in text:
            if text[-1] == "\r":
                self._head = _LF
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        elif "\n" not in text:
            self._pieces.append(text)  # no line end here: keep it, join once when one comes
            return []
        if self._pieces:
            self._pieces.append(text)
            text = "".join(self._pieces)
            self._pieces = []
        lines = text.split("\n")
        rest = lines.pop()  # after the last line end: the start of the next line
        if rest:
            self._pieces.append(rest)
        return self._lines(lines)

    def close(self) -> list[ServerSentEvent]:
        """End the stream: return the events its end completes (see the class docstring)."""
        if self._closed:
            return []
        tail = self._decode(b"", True)  # a cut UTF-8 sequence at the very end -> U+FFFD
        events = self.feed(tail) if tail else []
        self._closed = True
        line = "".join(self._pieces)
        self._pieces = []
        if not self._strict:
            # The unterminated last line counts as a line, then the end acts as a blank line.
            events += self._lines([line, ""] if line else [""])
        self._data = []
        self._event = ""
        self._event_retry = None
        return events

    # -- internals ---------------------------------------------------------------------------

    def _skip_head(self, text: str) -> str:
        """Drop the BOM that starts the stream, or the LF of a CRLF whose CR ended a chunk."""
        drop = "\ufeff" if self._head == _BOM else "\n"
        self._head = _NOTHING
        return text[1:] if text[0] == drop else text

    def _lines(self, lines: list[str]) -> list[ServerSentEvent]:
        """Interpret complete lines (without their line ends); return the events dispatched."""
        events: list[ServerSentEvent] = []
        data = self._data
        event = self._event
        for line in lines:
            if line[:6] == "data: ":  # the usual line: one test, no partition
                data.append(line[6:])
                continue
            if not line:  # dispatch
                if data:
                    events.append(
                        _new(
                            _SSE,
                            (event or "message", "\n".join(data), self._last_id, self._event_retry),
                        )
                    )
                    data = []
                event = ""
                self._event_retry = None
                continue
            name, colon, value = line.partition(":")
            if not name and colon:  # a comment
                continue
            if value[:1] == " ":
                value = value[1:]
            if name == "data":
                data.append(value)
            elif name == "event":
                event = value
            elif name == "id":
                if "\0" not in value:
                    self._last_id = value
            elif name == "retry":
                if value.isascii() and value.isdigit():
                    self._retry = self._event_retry = int(value)
            # any other field is ignored
        self._data = data
        self._event = event
        return events


def iter_sse(chunks: Iterable[Chunk], *, strict: bool = False) -> Iterator[ServerSentEvent]:
    """Yield the events of a body given as chunks (``bytes`` or ``str``), then those of its end."""
    decoder = SSEDecoder(strict=strict)
    feed = decoder.feed
    for chunk in chunks:
        yield from feed(chunk)
    yield from decoder.close()


async def aiter_sse(
    chunks: AsyncIterable[Chunk], *, strict: bool = False
) -> AsyncIterator[ServerSentEvent]:
    """Async twin of :func:`iter_sse` (e.g. over ``httpx.Response.aiter_bytes()``)."""
    decoder = SSEDecoder(strict=strict)
    feed = decoder.feed
    async for chunk in chunks:
        for event in feed(chunk):
            yield event
    for event in decoder.close():
        yield event
