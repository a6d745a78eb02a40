"""``Parser``: one JSON value (or whitespace-separated values) from fragments, with a live partial value."""

from __future__ import annotations

from . import engine as _engines
from .engine.build import ALL_KINDS, CLOSE, DEFAULT_LIMITS
from .errors import ParseError

TYPE_CHECKING = False  # (typing is not imported at run time: see engine/build.py)
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from .engine.build import Hooks
    from .events import Consumer, EventStream

__all__ = ["Parser", "parse_partial"]


class _Rare:
    """What few parsers need, kept apart so that a parser is small: its event dispatcher, and how
    its input ended (made for a parser with ``on_event``, or when it closes or fails)."""

    __slots__ = ("closed", "engine", "error", "events", "result", "then")

    def __init__(self, events: EventStream | None = None) -> None:
        self.events = events
        self.then: Callable[[ParseError], None] | None = None  # told of the error after the parser
        self.error: ParseError | None = None
        self.closed = False
        self.result: Any = None
        self.engine: str | None = None  # the engine's name, once the engine is let go


class _Over:
    """``feed`` once the input is over (closed, or stopped by an error): it raises. It holds no
    reference to the parser, so that a parser that is over is freed by reference counting (while
    its input is open, the parser and its engine refer to each other: a cycle, which only the
    garbage collector frees)."""

    __slots__ = ("error", "value")

    def __init__(self, value: Any, error: ParseError | None) -> None:
        self.value = value
        self.error = error

    def __call__(self, chunk: object) -> Sequence[Any]:
        error = self.error
        if error is None:
            raise ParseError("feed() after close()", partial=self.value)
        raise ParseError(
            f"feed() after a parse error ({error.msg})",
            error.offset,
            error.line,
            error.column,
            partial=error.partial,
        ) from error


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

    # Four slots: the object is 48 bytes, a 64-byte block with its GC header, so that what every
    # delta reads (feed, value) shares one cache line with the reference count (a gateway holding
    # thousands of parsers takes a cache miss per line); the rest is in _rare.
    __slots__ = ("_rare", "_send", "feed", "value")

    feed: Callable[[str | bytes | bytearray | memoryview], Sequence[Any]]
    #: The current (partial) top-level value; ``None`` before any value has begun. A plain
    #: attribute kept up to date by the engine, so reading it costs nothing.
    value: Any

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
        _raw_kinds: int = ALL_KINDS,
        _hooks: Hooks | None = None,
        _on_fail: Callable[[ParseError], None] | None = None,
    ) -> None:
        self.value = None
        self._rare: _Rare | None = None
        _, make = _engines.get(engine)
        raw = _on_raw
        if on_event is not None:
            from .events import EventStream

            raw = EventStream([on_event] if callable(on_event) else on_event)
            self._rare = _Rare(raw)
        if trailing not in ("error", "ignore"):
            raise ValueError(f"trailing must be 'error' or 'ignore', not {trailing!r}")
        # (on_fail None: the engine calls self._fail, looked up when an error happens: a bound
        # method held per parser would cost 64 bytes and an object for the collector)
        args = (self, None, multiple, partial_strings, max_depth, max_string, max_number, raw)
        if _on_fail is not None:
            if self._rare is None:
                self._rare = _Rare()
            self._rare.then = _on_fail
        if (_raw_kinds != ALL_KINDS or _hooks is not None) and on_event is None:
            # a raw consumer that wants only these kinds, or with hooks (see build.Hooked)
            gen = make(*args, trailing == "ignore", _raw_kinds, _hooks)
        else:
            gen = make(*args, True) if trailing == "ignore" else make(*args)
        next(gen)
        self.feed = self._send = gen.send  # (one bound method: each gen.send makes a new one)

    @property
    def engine(self) -> str:
        """The engine this parser runs (or ran): "compiled" or "python"."""
        if self._rare is not None and self._rare.engine is not None:
            return self._rare.engine
        return "compiled" if type(self._send.__self__).__module__ == "midstream.engine._cengine" else "python"

    @property
    def events(self) -> EventStream | None:
        """The event dispatcher, when the parser was made with ``on_event``."""
        return None if self._rare is None else self._rare.events

    @property
    def failed(self) -> ParseError | None:
        """The error that stopped this parser, if any (``feed`` and ``close`` raise it again)."""
        return None if self._rare is None else self._rare.error

    @property
    def closed(self) -> bool:
        """Whether ``close()`` has returned: the input is over."""
        return self._rare is not None and self._rare.closed

    def close(self) -> Any:
        """End of input: the complete value, or ``IncompleteJSONError`` with ``.partial``.

        The engine is let go (whether the input was complete or not): a parser that is closed
        is freed by reference counting as soon as the application drops it.
        """
        rare = self._rare
        if rare is not None:
            if rare.error is not None:
                raise rare.error
            if rare.closed:
                return rare.result
        try:
            result = self._send(CLOSE)  # (an error: _fail has let the engine go)
        except ParseError:
            del self  # (the error's traceback keeps this frame: it must not keep the parser)
            raise
        rare = self._let_go(None)
        rare.result = result
        rare.closed = True
        return result

    def _fail(self, err: ParseError) -> None:
        rare = self._let_go(err)
        rare.error = err
        if rare.then is not None:
            rare.then(err)

    def _let_go(self, error: ParseError | None) -> _Rare:
        """The input is over: ``feed`` raises from now on, and the engine is dropped."""
        rare = self._rare
        if rare is None:
            rare = self._rare = _Rare()
        rare.engine = self.engine
        self.feed = self._send = _Over(self.value, error)
        return rare

    def __repr__(self) -> str:
        state = "failed" if self.failed else "closed" if self.closed else "open"
        return f"<midstream.Parser {state} value={self.value!r:.60}>"


def parse_partial(text: str | bytes, *, partial_strings: bool = True, engine: str | None = None) -> Any:
    """The best-effort value of a possibly truncated JSON text (``None`` if no value began).

    Malformed text raises :class:`ParseError`; truncated text gives the partial value.
    """
    p = Parser(partial_strings=partial_strings, engine=engine)
    p.feed(text)
    return p.value
