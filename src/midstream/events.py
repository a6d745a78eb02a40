"""The event layer: what the parser saw, as typed events with their JSON paths.

The engine reports raw events (``on_event(kind, value, key)``, see :mod:`midstream.engine.build`)
only to a parser that has consumers: a parser with none makes no call and builds nothing. With
consumers, :class:`EventStream` turns each raw event into one typed event and hands it to every
consumer in turn, in the order they were given::

    >>> from midstream import Parser
    >>> seen = []
    >>> p = Parser(on_event=seen.append)
    >>> _ = p.feed('{"a": [1, "x')
    >>> [(type(e).__name__, tuple(e.path)) for e in seen]
    [('Opened', ()), ('MemberBegan', ('a',)), ('Opened', ('a',)), ('Scalar', ('a', 0)), ('StringOpened', ('a', 1))]

The events of one document, in order (``path`` is where the value sits, from the root):

==================  =====================================================================
``Opened``          an object or array began (``value`` is the live, still empty container)
``MemberBegan``     an object key is complete; its value has not begun (``path`` ends in it)
``StringOpened``    a string value began and is still open (``text``: its text so far)
``StringGrew``      the open string grew by ``text`` (escapes decoded)
``Scalar``          a number, ``true``/``false``/``null``, or a string that arrived whole, is
                    complete (``value``)
``Closed``          a value that had opened (``Opened`` or ``StringOpened``) is complete
``Completed``       the top-level value is complete (after its ``Scalar`` or ``Closed``)
==================  =====================================================================

They follow the partial-value contract exactly: replaying them (``Opened`` adds an empty
container, ``StringOpened`` and ``Scalar`` add a value, ``StringGrew`` appends text) rebuilds the
parser's partial value after every feed. With ``partial_strings=False`` a string is one
``Scalar`` when it closes. Both engines emit the same events.

Paths are :class:`Path` objects: a key and a link to the parent's path, made in O(1) per event
whatever the depth (a tuple per event would cost O(depth)). They compare equal to the tuple of
their keys, iterate from the root, and give their RFC 6901 JSON Pointer (``.pointer``); both
are computed once and cached.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

from .engine.build import EV_CLOSE, EV_GROW, EV_MEMBER, EV_SCALAR, EV_STRING

__all__ = [
    "ROOT",
    "Closed",
    "Completed",
    "Consumer",
    "Event",
    "EventStream",
    "MemberBegan",
    "Opened",
    "Path",
    "Scalar",
    "StringGrew",
    "StringOpened",
]

Key = str | int


class Path:
    """The JSON path of a value: immutable, linked to its parent's path (O(1) to extend)."""

    __slots__ = ("_hash", "_pointer", "_tuple", "depth", "key", "parent")

    parent: Path | None
    key: Key | None
    depth: int

    def __init__(self, parent: Path | None = None, key: Key | None = None) -> None:
        self.parent = parent
        self.key = key
        self.depth = 0 if parent is None else parent.depth + 1
        self._tuple: tuple[Key, ...] | None = None if parent is not None else ()
        self._pointer: str | None = None if parent is not None else ""
        self._hash: int | None = None

    def child(self, key: Key) -> Path:
        return Path(self, key)

    @property
    def keys(self) -> tuple[Key, ...]:
        """The keys from the root, as a tuple (built once)."""
        t = self._tuple
        if t is None:
            out: list[Key] = []
            node: Path | None = self
            while node is not None and node._tuple is None:
                out.append(node.key)  # type: ignore[arg-type]
                node = node.parent
            out.reverse()
            base: tuple[Key, ...] = () if node is None or node._tuple is None else node._tuple
            t = self._tuple = base + tuple(out)
        return t

    @property
    def pointer(self) -> str:
        """The RFC 6901 JSON Pointer of this path ("" for the root; "~" and "/" escaped)."""
        p = self._pointer
        if p is None:  # (a loop, not recursion: paths may be deeper than the recursion limit)
            parts: list[str] = []
            node: Path | None = self
            while node is not None and node._pointer is None:
                k = str(node.key)
                if "~" in k or "/" in k:
                    k = k.replace("~", "~0").replace("/", "~1")
                parts.append(k)
                node = node.parent
            parts.append("" if node is None or node._pointer is None else node._pointer)
            parts.reverse()
            p = self._pointer = "/".join(parts)
        return p

    def __iter__(self) -> Iterator[Key]:
        return iter(self.keys)

    def __len__(self) -> int:
        return self.depth

    def __getitem__(self, i: int) -> Key:
        return self.keys[i]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Path):
            return self is other or self.keys == other.keys
        if isinstance(other, tuple):
            return self.keys == other
        return NotImplemented

    def __hash__(self) -> int:
        h = self._hash
        if h is None:
            h = self._hash = hash(self.keys)
        return h

    def __repr__(self) -> str:
        return f"Path{self.keys!r}"


#: The path of the top-level value.
ROOT = Path()


class Opened(NamedTuple):
    """An object or array began at ``path``; ``value`` is the live container (it keeps growing)."""

    path: Path
    value: dict[str, Any] | list[Any]


class MemberBegan(NamedTuple):
    """An object key is complete; ``path`` ends in the key. Its value has not begun yet."""

    path: Path


class StringOpened(NamedTuple):
    """A string value began at ``path`` and is still open; ``text`` is its text so far."""

    path: Path
    text: str


class StringGrew(NamedTuple):
    """The open string at ``path`` grew by ``text`` (escapes decoded)."""

    path: Path
    text: str


class Scalar(NamedTuple):
    """A scalar arrived whole at ``path``: number, literal, or string (complete)."""

    path: Path
    value: Any


class Closed(NamedTuple):
    """The value at ``path`` that had opened (container or string) is complete: ``value``."""

    path: Path
    value: Any


class Completed(NamedTuple):
    """The top-level value is complete (sent after its ``Scalar`` or ``Closed``)."""

    value: Any


Event = Opened | MemberBegan | StringOpened | StringGrew | Scalar | Closed | Completed
#: A consumer takes each event in turn.
Consumer = Callable[[Event], object]


class EventStream:
    """The engine's ``on_event``: keeps the path of the open values and hands typed events to
    every consumer. O(1) per raw event whatever the depth (one :class:`Path` per value)."""

    __slots__ = ("_open", "_stack", "_string", "consumers")

    def __init__(self, consumers: Sequence[Consumer] = ()) -> None:
        self.consumers: list[Consumer] = list(consumers)
        self._stack: list[Path] = []  # the paths of the open containers
        self._open: Path = ROOT  # the innermost open container's path (ROOT at top level)
        self._string: Path = ROOT  # the open string's path

    def subscribe(self, consumer: Consumer) -> None:
        """Add a consumer: it gets every event from now on."""
        self.consumers.append(consumer)

    def _send(self, ev: Event) -> None:
        for c in self.consumers:
            c(ev)

    def __call__(self, kind: int, value: Any, key: Any) -> None:
        if kind == EV_GROW:
            ev: Event = StringGrew(self._string, value)
        elif kind == EV_CLOSE:
            if value.__class__ is dict or value.__class__ is list:
                ev = Closed(self._open, value)
                self._open = self._stack.pop()
            else:
                ev = Closed(self._string, value)
            if key is None:
                self._send(ev)
                ev = Completed(value)
        else:
            path = ROOT if key is None else Path(self._open, key)
            if kind == EV_SCALAR:
                ev = Scalar(path, value)
                if key is None:
                    self._send(ev)
                    ev = Completed(value)
            elif kind == EV_MEMBER:
                ev = MemberBegan(path)
            elif kind == EV_STRING:
                self._string = path
                ev = StringOpened(path, value)
            else:  # EV_OPEN
                self._stack.append(self._open)
                self._open = path
                ev = Opened(path, value)
        for c in self.consumers:
            c(ev)
