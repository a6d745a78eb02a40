"""``Parser``: one JSON value (or whitespace-separated values) from fragments, with a live partial value."""

from __future__ import annotations

from . import engine as _engines
from .engine.build import CLOSE, DEFAULT_LIMITS
from .errors import ParseError

TYPE_CHECKING = False  # (typing is not imported at run time: see engine/build.py)
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from .events import Consumer, EventStream

__all__ = ["Parser", "parse_partial"]


class Parser:
    """Push parser for one JSON value, fed fragments split anywhere.

    >>> p = Parser()
    >>> p.feed('{"name": "Ad')
    ()
    >>> p.value
    {'name': 'Ad'}
    >>> p.feed('a", "tags": [1, 2')
    ()
    >>> p.value
    {'name': 'Ada', 'tags': [1]}
    >>> p.feed(']}')
    [{'name': 'Ada', 'tags': [1, 2]}]
    >>> p.close()
    {'name': 'Ada', 'tags': [1, 2]}

    ``feed(chunk)`` takes ``str`` or ``bytes`` (UTF-8; a BOM is accepted at the start) and returns
    the top-level values completed by that chunk: ``()`` while the value is still open, a
    one-item list when it completes (with ``multiple=True``, every value completed by the chunk).
    It is the engine's own ``send``, bound once, so a call costs no wrapper.

    ``value`` is the best-effort partial value (see the README for the contract). It is a *live*
    object that later feeds keep growing in place: reading it is free, and to keep a snapshot
    take a copy (``copy.deepcopy``).

    ``close()`` ends the input: it returns the complete value (or, with ``multiple=True``, the
    values completed at the end, e.g. a trailing number) or raises ``IncompleteJSONError`` whose
    ``partial`` holds everything received.

    Options: ``multiple`` accepts a sequence of values separated by optional whitespace (as
    ijson's ``multiple_values``); ``partial_strings=False`` hides strings until they close;
    ``max_depth``, ``max_string`` (characters in a string or key) and ``max_number`` (characters
    in a number) bound what hostile input can make the parser hold; ``engine`` chooses the
    engine for this parser (``"auto"``, ``"compiled"``, ``"python"``; default
    ``MIDSTREAM_ENGINE``, else auto: see :mod:`midstream.engine`).

    ``trailing="ignore"`` stops reading at the end of the top-level value: what follows it (a
    closing Markdown fence, prose) is ignored instead of being an error.

    ``on_event`` subscribes consumers to the parser's events (a callable, or a sequence of them,
    each called with every event in turn; see :mod:`midstream.events`); ``events`` is then the
    :class:`~midstream.events.EventStream` (``events.subscribe(c)`` adds one later). A parser
    without consumers builds no events at all.
    """

    __slots__ = ("_closed", "_error", "_result", "_send", "engine", "events", "feed", "value")

    feed: Callable[[str | bytes | bytearray | memoryview], Sequence[Any]]
    #: The current (partial) top-level value; ``None`` before any value has begun. A plain
    #: attribute kept up to date by the engine, so reading it costs nothing.
    value: Any
    #: The engine this parser runs: "compiled" or "python".
    engine: str
    #: The event dispatcher, when the parser was made with ``on_event``.
    events: EventStream | None

    def __init__(
        self,
        *,
        multiple: bool = False,
        partial_strings: bool = True,
        max_depth: int = DEFAULT_LIMITS["max_depth"],
        max_string: int = DEFAULT_LIMITS["max_string"],
        max_number: int = DEFAULT_LIMITS["max_number"],
        on_event: Consumer | Sequence[Consumer] | None = None,
        engine: str | None = None,
        trailing: str = "error",
        _on_raw: Callable[[int, Any, Any], None] | None = None,
    ) -> None:
        self.value = None
        self._error: ParseError | None = None
        self._closed = False
        self._result: Any = None
        self.engine, make = _engines.get(engine)
        self.events = None
        raw = _on_raw
        if on_event is not None:
            from .events import EventStream

            self.events = raw = EventStream([on_event] if callable(on_event) else on_event)
        if trailing not in ("error", "ignore"):
            raise ValueError(f"trailing must be 'error' or 'ignore', not {trailing!r}")
        # (on_fail None: the engine calls self._fail, looked up when an error happens: a bound
        # method held per parser would cost 64 bytes and an object for the collector)
        args = (self, None, multiple, partial_strings, max_depth, max_string, max_number, raw)
        gen = make(*args, True) if trailing == "ignore" else make(*args)
        next(gen)
        self.feed = self._send = gen.send  # (one bound method: each gen.send makes a new one)

    @property
    def failed(self) -> ParseError | None:
        """The error that stopped this parser, if any (``feed`` and ``close`` raise it again)."""
        return self._error

    @property
    def closed(self) -> bool:
        """Whether ``close()`` has returned: the input is over."""
        return self._closed

    def close(self) -> Any:
        """End of input: the complete value, or ``IncompleteJSONError`` with ``.partial``."""
        if self._error is not None:
            raise self._error
        if not self._closed:
            self._result = self._send(CLOSE)
            self._closed = True
            self.feed = self._feed_after_close
        return self._result

    def _fail(self, err: ParseError) -> None:
        self._error = err
        self.feed = self._feed_after_error

    def _feed_after_error(self, chunk: object) -> Sequence[Any]:
        assert self._error is not None
        raise ParseError(
            f"feed() after a parse error ({self._error.msg})",
            self._error.offset,
            self._error.line,
            self._error.column,
            partial=self._error.partial,
        ) from self._error

    def _feed_after_close(self, chunk: object) -> Sequence[Any]:
        raise ParseError("feed() after close()", partial=self.value)

    def __repr__(self) -> str:
        state = "failed" if self._error else "closed" if self._closed else "open"
        return f"<midstream.Parser {state} value={self.value!r:.60}>"


def parse_partial(text: str | bytes, *, partial_strings: bool = True, engine: str | None = None) -> Any:
    """The best-effort value of a possibly truncated JSON text (``None`` if no value began).

    Malformed text raises :class:`ParseError`; truncated text gives the partial value.
    """
    p = Parser(partial_strings=partial_strings, engine=engine)
    p.feed(text)
    return p.value
