"""``ModelParser``: pydantic validation while the JSON streams in.

Two jobs, kept apart:

* **The answer** is pydantic's own: the text is kept (its pieces, joined in blocks), and when the
  top-level value completes, ``TypeAdapter(tp).validate_json(text)`` runs once. ``close()``
  returns that result or raises its errors, so value, ``model_fields_set``, extras, private
  attributes and validators are exactly those of ``validate_json(full_text)``, by construction.
* **Early checks** only decide whether to stop. The parser's events say what closed where; the
  plan (:mod:`midstream.validation.plan`) gives the position's node; a closed part is checked on
  its own only where that is provably the same as in the whole document, by pydantic's validator
  for exactly that position's schema, on the part's own JSON. Cheap filters (a plain ``str`` is a
  ``str``; a model's required keys are there) skip pydantic when the answer is certainly "valid":
  a filter never fails anything, pydantic does.

Cost. One call per raw event, O(1) work for all but the parts pydantic is asked about (and a
plain part never is). A container validated whole (a model with an ``after`` validator, a union,
...) costs O(its size); whole validations nest at most :data:`~midstream.validation.plan.
MAX_WHOLE_NESTING` deep over any character (innermost first; the larger ones wait for the
final validation), so the total stays linear in the document at any depth. Paths are built only
for what is reported or fails.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

import orjson
from pydantic import ValidationError
from pydantic_core import InitErrorDetails

from ..engine.build import ALL_KINDS, DEFAULT_LIMITS, EV_GROW, EV_MEMBER
from ..errors import IncompleteJSONError, ParseError, StreamValidationError
from ..events import ROOT, Path
from ..parser import Parser
from .plan import (
    ANY,
    COUNTED,
    DEFERRED,
    DICT,
    FORBIDDEN,
    LEAF,
    LIST,
    MAX_WHOLE_NESTING,
    MISMATCHED,
    OBJECT,
    PENDING,
    PENDING_NODE,
    TAG,
    TAGGED,
    TOO_DEEP,
    TOO_DEEP_NODE,
    TOP,
    Node,
    plan_for,
    root_node,
)

__all__ = ["ModelParser", "StreamValidationError", "Validated"]

T = TypeVar("T")
_UNSET: Any = object()
_new = object.__new__
_NO_TAG: Any = object()
#: The raw events the early checks read: all but a string growing and a key completing.
_KINDS = ALL_KINDS & ~(1 << EV_GROW | 1 << EV_MEMBER)
_BLOCK = 512  # pieces joined into one block of text at a time (memory: one object per block)


def _join(pieces: list[Any]) -> str | bytes:
    """The pieces of text as one (str, or UTF-8 bytes when bytes came too)."""
    try:
        return "".join(pieces)
    except TypeError:  # bytes among them
        return b"".join(p.encode("utf-8", "surrogatepass") if isinstance(p, str) else bytes(p) for p in pieces)


def _scalar_json(v: Any) -> str | bytes:
    """The JSON text of a parsed scalar, read back by pydantic as the same value (``1e400`` was
    parsed as ``inf``: it is written ``Infinity``, which pydantic reads as ``inf`` too)."""
    cls = v.__class__
    if cls is str:
        try:
            return orjson.dumps(v)
        except orjson.JSONEncodeError:  # a lone surrogate: pydantic refuses it, as in the whole
            return json.dumps(v)
    if cls is float:
        if v - v == 0:
            return repr(v)
        return "NaN" if v != v else "Infinity" if v > 0 else "-Infinity"
    return json.dumps(v)  # int (any size), bool, None


def _dumps(v: Any) -> str | bytes:
    """The JSON text of a parsed value, read back by pydantic as the same value (exact: no
    float written as ``null``, no big integer made a float; see :func:`_scalar_json`)."""
    if v.__class__ is not dict and v.__class__ is not list:
        return _scalar_json(v)
    try:
        text = orjson.dumps(v)
    except (TypeError, orjson.JSONEncodeError):  # integers beyond 64 bits, lone surrogates
        return json.dumps(v)
    if b"null" in text:  # orjson writes inf as null: the stdlib writes Infinity
        return json.dumps(v)
    return text


_json_depth: int | None = None


def json_depth_limit() -> int:
    """How many containers pydantic's JSON parser lets be open around a value (found once)."""
    global _json_depth
    if _json_depth is None:
        from pydantic import TypeAdapter

        ta: TypeAdapter[Any] = TypeAdapter(Any)
        lo, hi = 1, 4096  # a value inside `lo` open arrays is read; inside `hi` it is not
        if _reads(ta, hi):
            _json_depth = hi
        else:
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if _reads(ta, mid) else (lo, mid)
            _json_depth = lo
    return _json_depth


def _reads(ta: Any, depth: int) -> bool:
    try:
        ta.validate_json("[" * depth + "0" + "]" * depth)
    except ValidationError:
        return False
    return True


# An open container's frame: a list, one per open container (cheaper to make than an object).
UP = 0  # the parent's frame (None: the frame of the top level)
KEY = 1  # where it sits in its parent (None: the top-level value)
NODE = 2  # its position's node (None: judged with an enclosing value)
SHAPE = 3  # the node its members follow (a discriminated union's variant once its tag is known)
RAW = 4  # the raw container (the same object as in Parser.value)
FIELDS = 5  # how its members are looked up: FIELDS.get(key, EXTRA), or ITEMS
EXTRA = 6
ITEMS = 7
NEED = 8  # it must be validated whole when it closes
HEIGHT = 9  # the most whole validations nested over any of its closed parts
PART = 10  # its typed partial object (where its members go), once .partial has been read
TAG_SEEN = 11  # a discriminated union's tag (part of error locations), or _NO_TAG
PATH = 12  # its Path, once asked for
DEPTH = 13  # open containers down to it, itself included
DOOM = 14  # a part of it failed: it is validated whole when it closes, come what may

Frame = list[Any]


def _frame(up: Frame | None, key: Any, node: Node | None, raw: Any, depth: int) -> Frame:
    fields, extra, items = (None, None, None) if node is None else node.lookup
    return [up, key, node, node, raw, fields, extra, items, False, 0, None, _NO_TAG, None, depth, False]


def _path_of(f: Frame) -> Path:
    """The JSON path of a frame's container (built once per frame, O(1) from its parent's)."""
    chain = []
    x = f
    while x[PATH] is None:
        if x[KEY] is None or x[UP] is None:
            x[PATH] = ROOT
            break
        chain.append(x)
        x = x[UP]
    p: Path = x[PATH]
    for y in reversed(chain):
        p = y[PATH] = Path(p, y[KEY])
    return p


def _loc_key(f: Frame, key: Any) -> Any:
    """The error location pydantic gives a member's key (the key, or the field's name)."""
    shape = f[SHAPE]
    locs = shape.locs if shape is not None else None
    return key if locs is None else locs.get(key, key)


class Validated:
    """A part of the document that closed and passed every early check: ``path`` and ``value``.

    ``value`` is pydantic's value for that part at its position (a model instance, a list of
    them, ...), the same as the corresponding part of ``close()``'s result. It is computed when
    first read (pydantic's validator of that position, on the part: O(its size)) unless the part
    was already validated whole while streaming. Compares equal to ``Validated(path, value)``;
    unpacks as ``path, value``.
    """

    __slots__ = ("_frame", "_path", "_value")

    def __init__(self, path: Sequence[str | int], value: Any) -> None:
        self._frame: Frame | None = None
        self._path: Sequence[str | int] | Path | None = path
        self._value = value

    @property
    def path(self) -> Sequence[str | int] | Path:
        """Where the part is (a :class:`~midstream.events.Path`: compares equal to the tuple)."""
        p = self._path
        if p is None:
            assert self._frame is not None
            p = self._path = _path_of(self._frame)
        return p

    @property
    def value(self) -> Any:
        if self._value is _UNSET:
            frame = self._frame
            assert frame is not None
            node: Node = frame[NODE]
            assert node.validator is not None
            self._value = node.validator.validate_json(_dumps(frame[RAW]))
        return self._value

    def __iter__(self) -> Iterator[Any]:
        yield self.path
        yield self.value

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Validated):
            return tuple(self.path) == tuple(other.path) and self.value == other.value
        if isinstance(other, tuple) and len(other) == 2:
            return tuple(self.path) == tuple(other[0]) and self.value == other[1]
        return NotImplemented

    def __hash__(self) -> int:
        return hash((tuple(self.path), self.value))

    def __repr__(self) -> str:
        return f"Validated(path={tuple(self.path)!r}, value={self.value!r})"


class ModelParser(Generic[T]):
    """Validate a stream against ``tp`` (a ``BaseModel``, or any type pydantic can validate).

    >>> from pydantic import BaseModel
    >>> class Item(BaseModel):
    ...     name: str
    ...     qty: int
    >>> p = ModelParser(list[Item])
    >>> [(tuple(v.path), v.value) for v in p.feed('[{"name": "bolt", "qty": 3}, {"na')]
    [((0,), Item(name='bolt', qty=3))]
    >>> p.partial
    [Item(name='bolt', qty=3), Item(name=None, qty=None)]
    >>> p.feed('me": "nut", "qty": "x"}]')
    Traceback (most recent call last):
      ...
    midstream.errors.StreamValidationError: validation failed at 1/qty: 1.qty: Input should be a valid integer, unable to parse string as an integer [int_parsing]

    ``feed(delta)`` returns the parts that closed in this delta and passed every early check, as
    :class:`Validated` (path, value), innermost first: each object or array whose position could
    be judged on its own, then the top-level value when it completes (its value is the final
    result). It raises :class:`StreamValidationError` in the feed whose delta closes a part that
    pydantic rejects (or makes a string or list exceed its ``max_length``), and only then: see
    the README's "Validation while streaming" for the rule. Feeding may go on after that failure
    (the rest is parsed, not checked); ``close()`` then raises pydantic's full error list.
    Malformed JSON raises ``ParseError``.

    ``close()`` returns ``TypeAdapter(tp).validate_json(full_text)``, computed when the value
    completed, or raises its errors. ``value`` is the raw partial JSON value (as
    :attr:`Parser.value <midstream.Parser.value>`); ``partial`` the typed partial value (see its
    docstring). ``failed`` is the error that stopped the stream, ``closed`` whether ``close()``
    has returned.
    """

    __slots__ = (
        "__weakref__",
        "_adapter",
        "_blocks",
        "_checking",
        "_closed",
        "_complete",
        "_deep",
        "_error",
        "_final",
        "_final_error",
        "_limit",
        "_live",
        "_new",
        "_out",
        "_parser",
        "_pieces",
        "_plan",
        "_proot",
        "_root",
        "_shown",
        "_skey",
        "_string",
        "_strings",
        "_too_deep",
        "_top",
        "_typed",
        "_view",
        "engine",
        "feed",
    )

    feed: Callable[[str | bytes], Sequence[Validated]]

    def __init__(
        self,
        tp: type[T] | Any,
        *,
        partial_strings: bool = True,
        max_depth: int = DEFAULT_LIMITS["max_depth"],
        max_string: int = DEFAULT_LIMITS["max_string"],
        max_number: int = DEFAULT_LIMITS["max_number"],
        engine: str | None = None,
    ) -> None:
        self._adapter, self._plan = plan_for(tp)
        self._pieces: list[Any] = []  # the text: the latest pieces (the engine appends each) ...
        self._blocks: list[Any] = []  # ... and the earlier ones, joined in blocks
        #: parts reported by the current feed: their frames (Validated made when handed out),
        #: and None where something else is left to do once the fragment is read (see _after)
        self._out: list[Any] = []
        #: the open string in the typed partial value: [the mapping holding it, its key there,
        #: raw container, key], or empty (the engine lets go of it while it extends the string:
        #: a second reference would make each append copy it)
        self._shown: list[Any] = []
        # The engine keeps the text, calls _after when _out is not empty and mirrors the open
        # string (build.Hooked): a feed is the engine's own send, with no Python call of ours
        # unless there is work.
        self._parser = Parser(
            engine=engine,
            partial_strings=partial_strings,
            max_depth=max_depth,
            max_string=max_string,
            max_number=max_number,
            _on_raw=self._event,
            _raw_kinds=_KINDS,
            _hooks=(self._pieces, self._out, self._after, self._shown),
            _on_fail=self._stop,
        )
        #: The engine this parser runs ("compiled" or "python").
        self.engine = self._parser.engine
        self._too_deep = json_depth_limit()
        self._strings = self._plan.watch_strings  # a max_length to judge while strings are open
        top = root_node(self._plan)
        #: the frame of the top level (its one member is the document)
        self._root: Frame = [None, None, top, None, None, None, None, top, False, 0, None, _NO_TAG, ROOT, 0, False]
        self._top = self._root  # the innermost open container's frame
        self._checking = True  # early checks run (until the first failure)
        self._new: StreamValidationError | None = None  # found during the current feed
        self._error: ParseError | StreamValidationError | None = None  # what stopped it first
        self._deep = False  # a value inside too many containers for pydantic's JSON parser
        self._complete = False  # the top-level value is complete
        self._final: Any = _UNSET  # validate_json's result, once computed
        self._final_error: ValidationError | None = None
        self._closed = False
        self._limit: tuple[Frame, Any, Node] | None = None  # an open string with a max_length
        self._string: Frame | None = None  # the open string: its container's frame ...
        self._skey: Any = None  # ... and its key
        self._live = False  # the typed partial value is kept up to date
        #: pydantic's values of parts it validated before the typed partial value was first
        #: read: (id(container), key) -> (container, value)
        self._typed: dict[tuple[int, Any], tuple[Any, Any]] = {}
        self._proot: Any = None  # the typed partial value
        self._view: Any = _UNSET  # what .partial returns, once it is one object kept up to date
        #: parse and check a delta; return the parts it completed (see the class): the engine's
        #: send (its hooks keep the text and call _after)
        self.feed = self._parser.feed

    # ---- feeding ------------------------------------------------------------------------

    def _after(self) -> Sequence[Validated]:
        """What a feed leaves to do once its fragment is read (the engine calls it when ``_out``
        is not empty): the length of an open string, the final validation, raising a failure,
        handing out the reported parts."""
        out = self._out
        parts = out.copy()  # (None among them: a mark, see _out)
        out.clear()
        if self._checking:
            if self._deep:
                self._fail_json()
            limit = self._limit
            if limit is not None:
                f, key, node = limit
                text = self._parser.value if f is self._root else f[RAW][key]
                if len(text) > node.max_chars:  # type: ignore[operator]
                    self._check_leaf(f, key, node, text)  # pydantic says how it is too long
                    self._limit = None
                else:
                    out.append(None)  # looked at again after the next fragment
        if self._complete and self._final is _UNSET and self._checking:
            self._finish()
            if self._final_error is not None:
                self._fail(self._final_error, ())
            else:
                parts.append((self._root, self._final))
        new = self._new
        if new is not None:
            self._new = None
            out.clear()
            if new.validation_error is not self._final_error and (
                new.path or new.errors()[0]["type"] != "json_invalid"
            ):
                new = self._json_error() or new
            new.consumed = self.consumed
            self._error = self._error or new
            raise new
        if len(self._pieces) > _BLOCK:
            self._compact()
        made = []
        for x in parts:  # Validated of a frame (its path and value made when read), inline
            if x is not None:
                v = _new(Validated)
                if x.__class__ is list:
                    v._frame = x
                    v._value = _UNSET
                else:
                    v._frame, v._value = x
                v._path = None
                made.append(v)
        return made or ()

    def close(self) -> T:
        """The result: ``TypeAdapter(tp).validate_json(full_text)``, or its errors raised as a
        :class:`StreamValidationError` (pydantic's full list, ``loc`` from the root)."""
        if self._closed:
            return self._final  # type: ignore[no-any-return]
        self.feed = self._feed_after_close
        try:
            self._parser.close()
        except IncompleteJSONError as e:
            e.partial = self.partial
            self._error = self._error or e
            self.feed = self._feed_after_close  # (the parser's failure made it _feed_after_error)
            raise
        except ParseError as e:
            self._error = self._error or e
            self.feed = self._feed_after_close
            raise
        if self._final is _UNSET:
            self._finish()
        if self._final_error is not None:
            err = StreamValidationError(self._final_error, (), self._parser.value, self.consumed)
            self._error = self._error or err
            raise err
        self._closed = True
        return self._final  # type: ignore[no-any-return]

    def _text(self) -> str | bytes:
        """The text fed so far (a BOM the parser accepted left out)."""
        text = _join([*self._blocks, *self._pieces])
        if isinstance(text, bytes):
            return text[3:] if text[:3] == b"\xef\xbb\xbf" else text
        return text[1:] if text[:1] == "\ufeff" else text

    def _finish(self) -> None:
        """The one validation of the whole text that gives the answer."""
        try:
            self._final = self._view = self._adapter.validate_json(self._text())
        except ValidationError as e:
            self._final = None
            self._final_error = e

    def _compact(self) -> None:
        """Join the pieces into one block (memory: one object instead of thousands)."""
        self._blocks.append(_join(self._pieces))
        self._pieces.clear()

    @property
    def consumed(self) -> int:
        """Characters (or bytes) fed so far."""
        return sum(map(len, self._blocks)) + sum(map(len, self._pieces))

    @property
    def value(self) -> Any:
        """The raw partial JSON value (the parser's: live, grows in place; see Parser.value)."""
        return self._parser.value

    @property
    def failed(self) -> ParseError | StreamValidationError | None:
        """The error that stopped the stream (the first one raised), if any."""
        return self._error

    @property
    def closed(self) -> bool:
        """Whether ``close()`` has returned the result."""
        return self._closed

    def _stop(self, e: ParseError) -> None:
        self._error = self._error or e
        self.feed = self._feed_after_error

    def _feed_after_error(self, delta: object) -> Sequence[Validated]:
        e = self._parser.failed  # (the parse error: a validation failure may have come first)
        assert e is not None
        raise ParseError(f"feed() after a parse error ({e.msg})", e.offset, partial=self.value) from e

    def _feed_after_close(self, delta: object) -> Sequence[Validated]:
        raise ParseError("feed() after close()", self.consumed, partial=self.value)

    # ---- the events ---------------------------------------------------------------------

    def _event(self, kind: int, value: Any, key: Any) -> None:
        """The engine's raw events (see :mod:`midstream.events`): the hot path of validation,
        its tests ordered by how often each kind comes.

        Kinds: EV_OPEN 0, EV_STRING 2, EV_SCALAR 4, EV_CLOSE 5 (``_KINDS``: a string growing,
        EV_GROW 3, and a key completing, EV_MEMBER 1, have nothing to judge and are not emitted); frame
        slots as literals (see the frame layout above): 0 UP, 2 NODE, 4 RAW, 5 FIELDS, 6 EXTRA,
        7 ITEMS, 8 NEED, 9 HEIGHT, 10 PART, 13 DEPTH."""
        if kind == 4:  # a scalar (or a string that arrived whole) is complete
            f = self._top
            fields = f[5]
            n = f[7] if fields is None else fields.get(key, f[6])
            if n is None:
                return  # nothing to judge here
            if value.__class__ in n.ok:  # valid as parsed: into the typed partial value, if any
                if f[10] is not None:
                    self._put(f, key, float(value) if n.floats and value.__class__ is int else value)
                return
            self._leaf(f, n, key, value)
        elif kind == 5:
            f = self._top
            if value.__class__ is str:  # a string that was open is complete
                self._string = None
                if self._shown:
                    self._shown.clear()
                fields = f[5]
                n = f[7] if fields is None else fields.get(key, f[6])
                if n is None:
                    return
                if value.__class__ in n.ok:  # (a str: no float to make)
                    if f[10] is not None:
                        self._put(f, key, value)
                    return
                self._leaf(f, n, key, value)
                return
            up = f[0]  # a container closed
            self._top = up
            n = f[2]
            if n is None or not self._checking:
                if f[9] > up[9]:
                    up[9] = f[9]
                if up is self._root:
                    self._complete = True
                    self._out.append(None)
                return
            if n.plain and not f[8] and (n.required_set is None or value.keys() >= n.required_set):
                # the usual case: a container whose required keys are there, judged by that
                if up is self._root:
                    self._complete = True
                    self._out.append(None)
                    return
                if f[9] > up[9]:
                    up[9] = f[9]
                if f[9] <= MAX_WHOLE_NESTING:
                    self._out.append(f)
                return
            self._close(f, up, n)
        elif kind == 0:  # a container opened
            f = self._top
            fields = f[5]
            n = f[7] if fields is None else fields.get(key, f[6])
            if n is not None and n.container is not value.__class__:  # (special nodes have none)
                n = self._special_open(f, n, key, value)
            depth = f[13] + 1
            if n is None:
                child = [f, key, None, None, value, None, None, None, False, 0, None, _NO_TAG, None, depth, False]
            else:
                fields, extra, items = n.lookup
                child = [f, key, n, n, value, fields, extra, items, False, 0, None, _NO_TAG, None, depth, False]
            if depth > self._too_deep:
                child[5] = child[6] = None
                child[7] = TOO_DEEP_NODE
            self._top = child
            if f[10] is not None:
                self._adopt_partial(f, child)
            if len(self._pieces) > _BLOCK:
                self._compact()
        elif kind == 2:  # a string opened (and stays open)
            f = self._top
            self._string = f
            self._skey = key
            if self._strings or f[10] is not None or f[7] is TOO_DEEP_NODE:  # a limit, .partial
                self._open_string(f, value, key)

    def _leaf(self, f: Frame, n: Node, key: Any, value: Any) -> None:
        """A scalar or string completed where the fast filter could not say it is valid, or
        where the typed partial value takes it."""
        if value.__class__ in n.ok:  # valid as parsed: into the typed partial value
            self._put(f, key, float(value) if n.floats and value.__class__ is int else value)
            return
        special = n.special
        if special:
            if special == PENDING or special == DEFERRED:
                f[NEED] = True  # its object will be validated whole
            elif special == TAG:
                self._tag(f, n, key, value)
            elif special == FORBIDDEN:
                self._forbidden(f, key, value)
                return
            elif special == COUNTED:
                self._count(f, n)
                assert n.inner is not None and n.inner.items is not None
                n = n.inner.items
                if value.__class__ in n.ok:
                    if f[PART] is not None:
                        self._put(f, key, float(value) if n.floats and value.__class__ is int else value)
                    return
                self._check_leaf(f, key, n, value)
                return
            elif special == TOO_DEEP:
                self._deep = True
                self._out.append(None)
            else:  # TOP: a top-level scalar is the whole document
                self._complete = True
                self._out.append(None)
                self._limit = None
            if f[PART] is not None:
                self._put(f, key, value)
            return
        self._check_leaf(f, key, n, value)

    def _check_leaf(self, f: Frame, key: Any, n: Node, value: Any) -> None:
        limit = self._limit
        if limit is not None and limit[0] is f and limit[1] == key:
            self._limit = None  # the string has closed: judged whole now
        if self._checking:
            values = n.values
            if values is None or (value.__class__, value) not in values:
                validator = n.validator
                if validator is not None:
                    try:
                        typed = validator.validate_json(_scalar_json(value))
                    except ValidationError as e:
                        self._fail(e, self._loc(f, key), f)
                    except Exception:  # not pydantic's verdict: the final validation decides
                        pass
                    else:
                        if typed is not value:
                            value = typed
                            if f[PART] is None and f is not self._root:
                                self._typed[id(f[RAW]), key] = (f[RAW], typed)
        if f[PART] is not None:
            self._put(f, key, value)

    def _special_open(self, f: Frame, n: Node, key: Any, value: Any) -> Node | None:
        """A container begins where the node is special, or is not the container the node
        expects: the node its frame follows (None: it is judged with an enclosing value)."""
        special = n.special
        if special == COUNTED:
            self._count(f, n)
            assert n.inner is not None
            n = n.inner.items  # type: ignore[assignment]
        elif special == PENDING or special == DEFERRED or special == TAG:
            f[NEED] = True  # (a tag that is a container is no tag: the union reports it)
            return None
        elif special == FORBIDDEN:
            return n  # fails when it closes, with its value
        elif special == TOO_DEEP:
            self._deep = True
            self._out.append(None)
            return None
        elif special == TOP:
            n = n.inner  # type: ignore[assignment]
        if n is not None and n.container is not None and n.container is not value.__class__:
            return _mismatched(n)  # pydantic says so when it closes (list_type, ...)
        return n

    def _open_string(self, f: Frame, text: str, key: Any) -> None:
        fields = f[FIELDS]
        n = f[ITEMS] if fields is None else fields.get(key, f[EXTRA])
        if n is not None and n.special:
            special = n.special
            if special == COUNTED:
                self._count(f, n)
                assert n.inner is not None
                n = n.inner.items
            elif special == TOO_DEEP:
                self._deep = True
                self._out.append(None)
                n = None
            elif special == TOP:
                n = n.inner
            else:
                n = None
        if n is not None and n.max_chars is not None and self._checking:
            self._limit = (f, key, n)
            self._out.append(None)
        if f[PART] is not None:
            self._put(f, key, text)
            self._show_string(f, key)

    def _close(self, f: Frame, up: Frame, n: Node) -> None:
        """A container at a checked position closed: its own checks, what its parent learns."""
        h = f[HEIGHT]
        validated = _UNSET
        root = up is self._root
        if n.special:
            if n.special == FORBIDDEN:
                self._forbidden(up, f[KEY], f[RAW])
            elif n.special == MISMATCHED and not root:
                h += 1
                assert n.inner is not None
                self._whole(f, up, n.inner, h)
        elif n.kind != ANY:
            if f[NEED] or n.whole or n.kind == LEAF:
                need = True
            else:  # the shape filter: only asks pydantic, never fails anything itself
                shape = f[SHAPE]
                raw = f[RAW]
                need = False
                if shape.kind == OBJECT:
                    for keys in shape.required:
                        for k in keys:
                            if k in raw:
                                break
                        else:
                            need = True
                            break
                elif shape.kind == TAGGED:
                    need = True  # its tag never came
                if (shape.min_len is not None and len(raw) < shape.min_len) or (
                    shape.max_len is not None and len(raw) > shape.max_len
                ):
                    need = True
            if need and not root:
                h += 1
                if h <= MAX_WHOLE_NESTING or f[DOOM]:
                    validated = self._whole(f, up, n, h)
                    if validated is _FAILED:
                        return
                    if validated is _UNSET:
                        h = MAX_WHOLE_NESTING + 1
            if h <= MAX_WHOLE_NESTING and not root:
                self._out.append(f if validated is _UNSET else (f, validated))
        if h > up[HEIGHT]:
            up[HEIGHT] = h
        if root:
            self._complete = True
            self._out.append(None)
            self._limit = None
        elif validated is not _UNSET and validated is not _FAILED:
            if up[PART] is not None:
                self._put(up, f[KEY], validated)
            elif not self._live:
                self._typed[id(up[RAW]), f[KEY]] = (up[RAW], validated)

    def _whole(self, f: Frame, up: Frame, n: Node, h: int) -> Any:
        """Validate a closed container whole at its position: pydantic's value, _FAILED (the
        failure is recorded), or _UNSET (pydantic could not say: the final validation will)."""
        if h > MAX_WHOLE_NESTING and not f[DOOM]:
            return _UNSET
        validator = n.validator
        if validator is None:
            return _UNSET
        try:
            return validator.validate_json(_dumps(f[RAW]))
        except ValidationError as e:
            self._fail(e, self._loc(f), up)
            return _FAILED
        except Exception:  # not pydantic's verdict: the final validation decides
            return _UNSET

    def _tag(self, f: Frame, n: Node, key: Any, value: Any) -> None:
        """The discriminator of a discriminated union's object is complete: its variant."""
        union = n.inner
        assert union is not None
        variant = union.variant(value)
        if variant is None:
            f[NEED] = True  # not a tag: the union says so when the object closes
            f[FIELDS], f[EXTRA] = {}, PENDING_NODE
            return
        f[SHAPE] = variant
        f[TAG_SEEN] = value
        f[FIELDS], f[EXTRA], f[ITEMS] = variant.lookup
        f[NEED] = f[NEED] or variant.whole
        up = f[UP]
        if f[PART] is None and self._live and up is not None and up[PART] is not None:
            p = self._build(variant, f[RAW], f[DEPTH])
            self._put(up, f[KEY], p)
            f[PART] = p if variant.wrapper is None else p.root

    def _count(self, f: Frame, n: Node) -> None:
        """A list with max_length got an item: past the limit it can only get longer."""
        lst = n.inner
        assert lst is not None and lst.overflow is not None
        if len(f[RAW]) > lst.overflow and self._checking and f[NODE] is not None:
            validator = f[NODE].validator
            if validator is not None:
                try:
                    validator.validate_json(_dumps(f[RAW]))
                except ValidationError as e:
                    self._fail(e, self._loc(f), f[UP])
                except Exception:
                    pass

    def _forbidden(self, f: Frame, key: Any, value: Any) -> None:
        """An unknown key under extra="forbid" has its value: pydantic's error for it."""
        if not self._checking:
            return
        detail = InitErrorDetails(type="extra_forbidden", loc=(_loc_key(f, key),), input=value)
        shape = f[SHAPE]
        title = shape.cls.__name__ if shape is not None and shape.cls is not None else "Model"
        self._fail(ValidationError.from_exception_data(title, [detail]), self._loc(f), f)

    def _json_error(self) -> StreamValidationError | None:
        """The error of a text pydantic's JSON parser refuses before its end (a lone surrogate
        escape, too deep a value): pydantic reports that alone, whatever else is wrong."""
        try:
            self._adapter.validate_json(self._text())
        except ValidationError as e:
            first = e.errors()[0]
            if first["type"] == "json_invalid" and "EOF" not in first["msg"]:
                return StreamValidationError(e, (), self._parser.value, 0)
        return None

    def _fail_json(self) -> None:
        """A value sits inside more containers than pydantic's JSON parser reads: its error
        (validate_json of the text so far fails where the whole text does)."""
        self._deep = False
        try:
            self._adapter.validate_json(self._text())
        except ValidationError as e:
            if e.errors()[0]["type"] == "json_invalid":
                self._fail(e, ())

    def _fail(self, error: ValidationError, loc: tuple[Any, ...], holder: Frame | None = None) -> None:
        """Record an early failure (raised at the end of the feed); checks stop.

        ``holder`` is the open container holding the failed part. Inside a list with a
        max_length, pydantic reports only ``too_long`` if the list ends up too long: the failure
        waits for the outermost such list to close or overflow, which says which it is."""
        if not self._checking:
            return
        x = holder
        capped = None
        while x is not None:
            items = x[ITEMS]
            if items is not None and items.special == COUNTED:
                capped = x
            x = x[UP]
        if capped is not None:
            capped[NEED] = capped[DOOM] = True  # validated whole when it closes: its errors
            return
        self._checking = False
        self._limit = None
        self._new = StreamValidationError(error, loc, self._parser.value, 0)
        self._out.append(None)

    def _loc(self, f: Frame, key: Any = _UNSET) -> tuple[Any, ...]:
        """pydantic's error location of frame ``f`` (and of its member ``key``). A frame's own
        tag is left out for the frame itself: its validator (the union's) puts it in."""
        out: list[Any] = []
        if key is not _UNSET and key is not None:
            out.append(_loc_key(f, key))
        x: Frame | None = f
        while x is not None and x[UP] is not None:
            if x[TAG_SEEN] is not _NO_TAG and (x is not f or key is not _UNSET):
                out.append(x[TAG_SEEN])
            if x[KEY] is not None:
                out.append(_loc_key(x[UP], x[KEY]))
            x = x[UP]
        out.reverse()
        return tuple(out)

    # ---- the typed partial value ----------------------------------------------------------

    @property
    def partial(self) -> Any:
        """The typed partial value, live: it grows in place as the stream does.

        Models are instances of their class; a field not received yet is absent from
        ``model_fields_set`` and reads ``None`` (never a default that a later delta would
        change); a field whose value has begun is in ``model_fields_set`` with its value so far
        (open strings show their text so far). A part pydantic validated while streaming (a leaf
        it was asked about, a container validated whole) reads as pydantic's value; every other
        part reads as received. Reading it costs O(what changed since the last read). Lists,
        dicts and ``TypedDict`` are plain lists and dicts; dataclasses are instances (fields not
        received read ``None``); a union reads as received until it closes. Before any input, a
        model reads as an instance with no field set. Once the value is complete and valid: the
        result.
        """
        view = self._view  # (read after every delta by a UI: the rest is rare)
        if view is not _UNSET:
            return view
        if self._final is not _UNSET and self._final_error is None:
            self._view = self._final
            return self._final
        if not self._live:
            self._make_live()
        if self._proot is None:
            return self._parser.value  # (a top-level scalar or string: as received)
        self._view = self._proot
        return self._proot

    def _make_live(self) -> None:
        """Build the typed partial value once (O(what was received)); events keep it up."""
        self._live = True
        frames: list[Frame] = []
        x = self._top
        while x is not self._root:
            frames.append(x)
            x = x[UP]
        frames.reverse()
        self._root[PART] = _RootHolder(self)
        if not frames:
            raw = self._parser.value
            if raw is None:
                self._proot = self._empty(self._plan)
            elif raw.__class__ is dict or raw.__class__ is list:
                self._proot = self._build(self._plan, raw, 1)
            self._typed.clear()
            return
        up = self._root
        for k, fr in enumerate(frames):
            nxt = frames[k + 1] if k + 1 < len(frames) else None
            if up[PART] is None:
                break  # (below an untyped container: nothing typed)
            obj, target = self._shell(fr)
            fr[PART] = target
            self._put(up, fr[KEY], obj)
            if target is not None:
                raw = fr[RAW]
                shape = fr[SHAPE]
                for key in raw if raw.__class__ is dict else range(len(raw)):
                    if nxt is not None and key == nxt[KEY] and raw[key] is nxt[RAW]:
                        continue  # the open child: its own frame, next
                    child = shape.child(key) if shape is not None else None
                    self._put(fr, key, self._built(child, raw, key, fr[DEPTH] + 1))
            up = fr
        if self._string is not None:
            sf, skey = self._string, self._skey
            if sf[PART] is not None:
                self._show_string(sf, skey)
        self._typed.clear()

    def _empty(self, n: Node) -> Any:
        """The typed partial value of a position before its value has begun."""
        if n.kind == OBJECT:
            obj = self._new_object(n)
        elif n.kind == LIST:
            obj = []
        elif n.kind == DICT:
            obj = {}
        else:
            return None
        return self._wrap(n, obj)

    def _wrap(self, n: Node, obj: Any) -> Any:
        if n.wrapper is None:
            return obj
        w = n.wrapper.__new__(n.wrapper)
        object.__setattr__(w, "__dict__", {"root": obj})
        object.__setattr__(w, "__pydantic_fields_set__", {"root"})
        object.__setattr__(w, "__pydantic_extra__", None)
        object.__setattr__(w, "__pydantic_private__", None)
        return w

    def _new_object(self, n: Node) -> Any:
        cls = n.cls
        if cls is None:
            return {}  # a TypedDict: the keys received
        if hasattr(cls, "__pydantic_fields__") and hasattr(cls, "model_construct"):
            obj = cls.__new__(cls)
            object.__setattr__(obj, "__dict__", dict.fromkeys(cls.__pydantic_fields__))
            object.__setattr__(obj, "__pydantic_fields_set__", set())
            object.__setattr__(obj, "__pydantic_extra__", {} if n.extra_mode == "allow" else None)
            private = getattr(cls, "__private_attributes__", None)
            object.__setattr__(
                obj, "__pydantic_private__", {k: p.get_default() for k, p in private.items()} if private else None
            )
            return obj
        obj = cls.__new__(cls)  # a dataclass
        for name in getattr(cls, "__dataclass_fields__", {}):
            object.__setattr__(obj, name, None)
        return obj

    def _shell(self, f: Frame) -> tuple[Any, Any]:
        """The typed partial object of an open container (what its parent holds, and where its
        members go), or (the raw container, None) where it is not typed."""
        n = f[SHAPE]
        raw = f[RAW]
        if n is None or n.kind == TAGGED or n.container is not raw.__class__ or f[DEPTH] > self._too_deep:
            return raw, None
        obj = self._new_object(n) if n.kind == OBJECT else [] if n.kind == LIST else {}
        return self._wrap(n, obj), obj

    def _adopt_partial(self, f: Frame, child: Frame) -> None:
        shape = child[SHAPE]
        if (
            f is self._root
            and self._proot is not None
            and shape is not None
            and shape.container is child[RAW].__class__
            and shape.kind != TAGGED
        ):
            obj = self._proot  # the empty value shown before any input: it grows now
            child[PART] = obj.root if shape.wrapper is not None else obj
            return
        obj, target = self._shell(child)
        child[PART] = target
        self._put(f, child[KEY], obj)

    def _build(self, n: Node | None, raw: Any, depth: int) -> Any:
        """The typed partial value of a closed part (O(its size))."""
        cls = raw.__class__
        if n is None or (cls is not dict and cls is not list):
            if n is not None and n.floats and cls is int:
                return float(raw)
            return raw
        if n.special:
            return raw
        if n.kind == TAGGED and cls is dict:
            variant = n.variant(raw.get(n.tag_key))
            return raw if variant is None else self._build(variant, raw, depth)
        if depth > self._too_deep or n.container is not cls:
            return raw
        if n.kind == OBJECT:
            obj = self._new_object(n)
            f = _frame(None, None, n, raw, depth)
            f[PART] = obj
            for k in raw:
                self._put(f, k, self._built(n.child(k), raw, k, depth + 1))
            return self._wrap(n, obj)
        if n.kind == LIST:
            return self._wrap(n, [self._built(n.items, raw, k, depth + 1) for k in range(len(raw))])
        return self._wrap(n, {k: self._built(n.items, raw, k, depth + 1) for k in raw})

    def _built(self, n: Node | None, container: Any, key: Any, depth: int) -> Any:
        """The typed partial value of ``container[key]``: pydantic's, if it validated it."""
        typed = self._typed.get((id(container), key))
        if typed is not None and typed[0] is container:
            return typed[1]
        return self._build(n, container[key], depth)

    def _put(self, f: Frame, key: Any, value: Any) -> None:
        """Set a member of ``f``'s typed partial object."""
        obj = f[PART]
        cls = obj.__class__
        if cls is list:
            if key == len(obj):
                obj.append(value)
            else:
                obj[key] = value
        elif cls is dict:
            name = _name_in_dict(f[SHAPE], key)
            if name is not None:
                obj[name] = value
        elif cls is _RootHolder:
            if value.__class__ is str:  # (an open string grows: it reads as the raw value)
                self._proot = None
                self._view = _UNSET
            else:
                self._proot = self._view = value
        else:  # a model or a dataclass
            shape = f[SHAPE]
            name = shape.names.get(key)
            d = obj.__dict__
            if name is not None:
                d[name] = value
                fs = getattr(obj, "__pydantic_fields_set__", None)
                if fs is not None:
                    fs.add(name)
            elif shape.extra_mode == "allow":
                extra = getattr(obj, "__pydantic_extra__", None)
                if extra is not None:
                    extra[key] = value
                else:
                    d[key] = value

    def _show_string(self, f: Frame, key: Any) -> None:
        """Remember where the open string sits in the typed partial value: feed() lets go of it
        while the engine extends it (a second reference would make each append copy it), then
        puts its text so far back."""
        obj = f[PART]
        if obj.__class__ is _RootHolder:
            return
        shape = f[SHAPE]
        raw = f[RAW]
        if obj.__class__ is list:
            self._shown[:] = (obj, key, raw, key)
        elif obj.__class__ is dict:
            name = _name_in_dict(shape, key)
            if name is not None:
                self._shown[:] = (obj, name, raw, key)
        else:
            name = shape.names.get(key)
            if name is not None:
                self._shown[:] = (obj.__dict__, name, raw, key)


_FAILED: Any = object()


def _name_in_dict(shape: Node | None, key: Any) -> Any:
    """The key under which a member goes in a typed partial part held as a dict (a TypedDict's
    field name, or the key itself), or None where the part leaves it out."""
    if shape is None or shape.kind != OBJECT:
        return key
    name = shape.names.get(key)
    if name is None and shape.extra_mode == "allow":
        return key
    return name


def _mismatched(n: Node) -> Node:
    """The special node of a container that is not the one ``n`` expects (a dict for a list)."""
    m = n.mismatched
    if m is None:
        m = n.mismatched = Node(special=MISMATCHED)
        m.inner = n
    return m


class _RootHolder:
    """The typed partial value's slot for the top-level value."""

    __slots__ = ("parser",)

    def __init__(self, parser: ModelParser[Any]) -> None:
        self.parser = parser
