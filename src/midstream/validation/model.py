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
from collections.abc import Iterator, Sequence
from typing import Any, Generic, TypeVar

import orjson
from pydantic import ValidationError
from pydantic_core import InitErrorDetails

from ..engine.build import (
    DEFAULT_LIMITS,
    EV_CLOSE,
    EV_GROW,
    EV_MEMBER,
    EV_OPEN,
    EV_SCALAR,
    EV_STRING,
)
from ..errors import IncompleteJSONError, ParseError, StreamValidationError
from ..events import ROOT, Path
from ..parser import Parser
from .plan import (
    ANY,
    COUNTED,
    DEFERRED,
    FORBIDDEN,
    LEAF,
    LIST,
    MAX_WHOLE_NESTING,
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
_NO_TAG: Any = object()
_BLOCK = 512  # pieces joined into one block of text at a time (memory: one object per block)


def _join(pieces: list[Any]) -> str | bytes:
    if all(p.__class__ is str for p in pieces):
        return "".join(pieces)
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
    if b"null" in text and _has_nonfinite(v):  # orjson writes inf as null
        return json.dumps(v)  # (writes Infinity)
    return text


def _has_nonfinite(v: Any) -> bool:
    todo = [v]
    while todo:
        x = todo.pop()
        if x.__class__ is float:
            if x - x != 0:
                return True
        elif x.__class__ is dict:
            todo.extend(x.values())
        elif x.__class__ is list:
            todo.extend(x)
    return False


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


class _Frame:
    """An open container: its node, how its members are looked up, what it still needs."""

    __slots__ = (
        "_path",
        "depth",
        "doomed",
        "extra",
        "fields",
        "height",
        "items",
        "key",
        "need",
        "node",
        "parent",
        "partial",
        "shape",
        "tag",
        "value",
    )

    def __init__(self, parent: _Frame | None, key: Any, node: Node | None, value: Any) -> None:
        self.parent = parent
        self.key = key  # where it sits in its parent (None: the top-level value)
        self.node = node  # its position's node (None: judged with an enclosing value)
        self.shape = node  # the node its members follow (a discriminated union's variant)
        self.value = value  # the raw container (the same object as in Parser.value)
        self.need = False  # it must be validated whole when it closes
        self.doomed = False  # a part of it failed: validated whole when it closes, come what may
        self.height = 0  # the most whole validations nested over any of its closed parts
        self.partial: Any = None  # its typed partial value, once .partial has been read
        self.tag: Any = _NO_TAG  # a discriminated union's tag, part of error locations
        self._path: Path | None = None
        self.depth: int = 0 if parent is None else parent.depth + 1
        if node is None:
            self.fields = self.extra = self.items = None
        else:
            self.fields, self.extra, self.items = node.lookup

    @property
    def path(self) -> Path:
        p = self._path
        if p is None:
            if self.key is None or self.parent is None:
                p = self._path = ROOT
            else:
                p = self._path = Path(self.parent.path, self.key)
        return p

    def loc_of(self, key: Any) -> Any:
        """The error location pydantic gives a member's key (the key, or the field's name)."""
        shape = self.shape
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
        self._frame: _Frame | None = None
        self._path: Sequence[str | int] | Path | None = path
        self._value = value

    @classmethod
    def _of(cls, frame: _Frame, value: Any = _UNSET) -> Validated:
        v = cls.__new__(cls)
        v._frame, v._path, v._value = frame, None, value
        return v

    @property
    def path(self) -> Sequence[str | int] | Path:
        """Where the part is (a :class:`~midstream.events.Path`: compares equal to the tuple)."""
        p = self._path
        if p is None:
            assert self._frame is not None
            p = self._path = self._frame.path
        return p

    @property
    def value(self) -> Any:
        if self._value is _UNSET:
            frame = self._frame
            assert frame is not None and frame.node is not None and frame.node.validator is not None
            self._value = frame.node.validator.validate_json(_dumps(frame.value))
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
    ``docs/validation.md`` for the rule. Feeding may go on after that failure (the rest is
    parsed, not checked); ``close()`` then raises pydantic's full error list. Malformed JSON
    raises ``ParseError``.

    ``close()`` returns ``TypeAdapter(tp).validate_json(full_text)``, computed when the value
    completed, or raises its errors. ``value`` is the raw partial JSON value (as
    :attr:`Parser.value <midstream.Parser.value>`); ``partial`` the typed partial value (see its
    docstring). ``failed`` is the error that stopped the stream, ``closed`` whether ``close()``
    has returned.
    """

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
        self._parser = Parser(
            engine=engine,
            partial_strings=partial_strings,
            max_depth=max_depth,
            max_string=max_string,
            max_number=max_number,
            _on_raw=self._event,
        )
        #: The engine this parser runs ("compiled" or "python").
        self.engine = self._parser.engine
        self._send = self._parser.feed
        self._too_deep = json_depth_limit()
        self._root = _Frame(None, None, root_node(self._plan), None)
        self._root.fields, self._root.extra, self._root.items = None, None, self._root.node
        self._root.shape = None
        self._top = self._root  # the innermost open container's frame
        self._pieces: list[Any] = []  # the text: the latest pieces ...
        self._blocks: list[Any] = []  # ... and the earlier ones, joined in blocks
        self._out: list[Validated] = []  # parts reported by the current feed
        self._pending = False  # the current feed left something to finish (see _after)
        self._checking = True  # early checks run (until the first failure)
        self._new: StreamValidationError | None = None  # found during the current feed
        self._error: ParseError | StreamValidationError | None = None  # what stopped it first
        self._deep = False  # a value inside too many containers for pydantic's JSON parser
        self._complete = False  # the top-level value is complete
        self._final: Any = _UNSET  # validate_json's result, once computed
        self._final_error: ValidationError | None = None
        self._closed = False
        self._limit: tuple[_Frame, Any, Node] | None = None  # an open string with a max_length
        self._string: tuple[_Frame, Any] | None = None  # the open string (frame, key)
        self._live = False  # the typed partial value is kept up to date
        #: pydantic's values of parts it validated before the typed partial value was first
        #: read: (id(container), key) -> (container, value)
        self._typed: dict[tuple[int, Any], tuple[Any, Any]] = {}
        self._proot: Any = None  # the typed partial value
        self._shown: tuple[Any, Any, _Frame, Any] | None = None  # the open string in it
        self.feed = self._feed

    # ---- feeding ------------------------------------------------------------------------

    def _feed(self, delta: str | bytes) -> Sequence[Validated]:
        """Parse and check ``delta``; return the parts it completed (see the class docstring)."""
        if self._shown is not None:
            self._unshow()
        try:
            self._send(delta)
        except ParseError as e:
            self._stop(e)
            raise
        pieces = self._pieces
        pieces.append(delta)
        if len(pieces) >= _BLOCK:
            self._blocks.append(_join(pieces))
            pieces.clear()
        if self._pending:
            return self._after()
        return ()

    def _after(self) -> Sequence[Validated]:
        """What a feed leaves to do after parsing: the length of an open string, the final
        validation, raising a failure, handing out the reported parts."""
        self._pending = False
        if self._checking:
            if self._deep:
                self._fail_json()
            limit = self._limit
            if limit is not None:
                f, key, node = limit
                text = self._parser.value if f is self._root else f.value[key]
                if len(text) > node.max_chars:  # type: ignore[operator]
                    self._check_leaf(f, key, node, text)  # pydantic says how it is too long
                    self._limit = None
                else:
                    self._pending = True
        if self._complete and self._final is _UNSET and self._checking:
            self._finish()
            if self._final_error is not None:
                self._fail(self._final_error, ())
            else:
                self._out.append(Validated._of(self._root, self._final))
        if self._shown is not None:
            self._show()
            self._pending = True
        new = self._new
        if new is not None:
            self._new = None
            self._out = []
            new.consumed = self.consumed
            self._error = self._error or new
            raise new
        out = self._out
        if not out:
            return ()
        self._out = []
        return out

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
            raise
        except ParseError as e:
            self._error = self._error or e
            raise
        if self._final is _UNSET:
            self._finish()
        if self._final_error is not None:
            err = StreamValidationError(self._final_error, (), self._parser.value, self.consumed)
            self._error = self._error or err
            raise err
        self._closed = True
        return self._final  # type: ignore[no-any-return]

    def _finish(self) -> None:
        """The one validation of the whole text that gives the answer."""
        text = _join([*self._blocks, *self._pieces])
        if text[:1] in ("\ufeff", b"\xef"):  # a BOM the parser accepted
            text = text[3:] if isinstance(text, bytes) and text[:3] == b"\xef\xbb\xbf" else text[1:] if isinstance(text, str) else text
        try:
            self._final = self._adapter.validate_json(text)
        except ValidationError as e:
            self._final = None
            self._final_error = e

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
        e = self._error
        assert e is not None
        raise ParseError(f"feed() after a parse error ({e.msg})", getattr(e, "offset", 0), partial=self.value) from e

    def _feed_after_close(self, delta: object) -> Sequence[Validated]:
        raise ParseError("feed() after close()", self.consumed, partial=self.value)

    # ---- the events ---------------------------------------------------------------------

    def _event(self, kind: int, value: Any, key: Any) -> None:
        """The engine's raw events (see :mod:`midstream.events`): the hot path of validation."""
        if kind == EV_GROW or kind == EV_MEMBER:
            return
        f = self._top
        if kind == EV_SCALAR or (kind == EV_CLOSE and value.__class__ is str):
            fields = f.fields
            n = f.items if fields is None else fields.get(key, f.extra)
            if kind == EV_CLOSE:
                self._string = None
            if n is None:
                return
            if value.__class__ in n.ok:
                if f.partial is not None:
                    self._put(f, key, float(value) if n.floats and value.__class__ is int else value)
                return
            self._leaf(f, n, key, value)
        elif kind == EV_OPEN:
            self._open(f, value, key)
        elif kind == EV_CLOSE:
            self._close(f)
        elif kind == EV_STRING:
            self._open_string(f, value, key)

    def _leaf(self, f: _Frame, n: Node, key: Any, value: Any) -> None:
        """A scalar or string completed where the fast filter could not say it is valid."""
        special = n.special
        if special:
            if special == PENDING or special == DEFERRED:
                f.need = True  # its object will be validated whole
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
                    if f.partial is not None:
                        self._put(f, key, value)
                    return
                self._check_leaf(f, key, n, value)
                return
            elif special == TOO_DEEP:
                self._deep = self._pending = True
            else:  # ROOT: a top-level scalar is the whole document
                self._complete = self._pending = True
                self._limit = None
            if f.partial is not None:
                self._put(f, key, value)
            return
        self._check_leaf(f, key, n, value)

    def _check_leaf(self, f: _Frame, key: Any, n: Node, value: Any) -> None:
        if self._limit is not None and self._limit[0] is f and self._limit[1] == key:
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
                            if f.partial is None and f is not self._root:
                                self._typed[id(f.value), key] = (f.value, typed)
        if f.partial is not None:
            self._put(f, key, value)

    def _open(self, f: _Frame, value: Any, key: Any) -> None:
        fields = f.fields
        n = f.items if fields is None else fields.get(key, f.extra)
        if n is not None and n.special:
            n = self._special_open(f, n, key)
        child = _Frame(f, key, n, value)
        if n is not None and n.container is not value.__class__ and n.container is not None:
            child.fields = child.extra = child.items = None  # not the container it expects:
            child.need = True  # pydantic says so when it closes
            child.shape = None
        if child.depth > self._too_deep:
            child.fields = child.extra = None
            child.items = TOO_DEEP_NODE
        self._top = child
        if f.partial is not None:
            self._adopt_partial(f, child)

    def _special_open(self, f: _Frame, n: Node, key: Any) -> Node | None:
        """A container begins where a special node stands: the node its frame follows."""
        special = n.special
        if special == COUNTED:
            self._count(f, n)
            assert n.inner is not None
            return n.inner.items
        if special == PENDING or special == DEFERRED or special == TAG:
            f.need = True  # (a tag that is a container is no tag: the union reports it)
            return None
        if special == FORBIDDEN:
            return n  # fails when it closes, with its value
        if special == TOO_DEEP:
            self._deep = self._pending = True
            return None
        return n.inner  # ROOT

    def _open_string(self, f: _Frame, text: str, key: Any) -> None:
        self._string = (f, key)
        fields = f.fields
        n = f.items if fields is None else fields.get(key, f.extra)
        if n is not None and n.special:
            special = n.special
            if special == COUNTED:
                self._count(f, n)
                assert n.inner is not None
                n = n.inner.items
            elif special == TOO_DEEP:
                self._deep = self._pending = True
                n = None
            elif special == TOP:
                n = n.inner
            else:
                n = None
        if n is not None and n.max_chars is not None and self._checking:
            self._limit = (f, key, n)
            self._pending = True
        if f.partial is not None:
            self._put(f, key, text)
            self._show_string(f, key)

    def _close(self, f: _Frame) -> None:
        """A container closed: its own checks, then what its parent learns from it."""
        parent = f.parent
        assert parent is not None
        self._top = parent
        n = f.node
        h = f.height
        validated = _UNSET
        if n is not None and self._checking:
            if n.special:
                if n.special == FORBIDDEN:
                    self._forbidden(parent, f.key, f.value)
                n = None
            elif n.kind != ANY:
                need = f.need or n.whole or n.kind == LEAF
                if not need:
                    need = self._misshapen(f)
                if need:
                    h += 1
                    if parent is not self._root and (h <= MAX_WHOLE_NESTING or f.doomed):
                        validator = n.validator
                        if validator is not None:
                            try:
                                validated = validator.validate_json(_dumps(f.value))
                            except ValidationError as e:
                                self._fail(e, self._loc(f), parent)
                                n = None
                            except Exception:  # not pydantic's verdict: the final one decides
                                h = MAX_WHOLE_NESTING + 1
                if h <= MAX_WHOLE_NESTING and n is not None and parent is not self._root:
                    self._out.append(Validated._of(f, validated))
                    self._pending = True
        if h > parent.height:
            parent.height = h
        if parent is self._root:
            self._complete = self._pending = True
            self._limit = None
        elif validated is not _UNSET:
            if parent.partial is not None:
                self._put(parent, f.key, validated)
            elif not self._live:
                self._typed[id(parent.value), f.key] = (parent.value, validated)

    def _misshapen(self, f: _Frame) -> bool:
        """Whether a closed container may not have the shape its node requires (the filter:
        True only asks pydantic)."""
        shape = f.shape
        assert shape is not None
        value = f.value
        kind = shape.kind
        if kind == TAGGED:
            return True  # its tag never came
        if kind == OBJECT:
            for keys in shape.required:
                for k in keys:
                    if k in value:
                        break
                else:
                    return True
        if shape.min_len is not None and len(value) < shape.min_len:
            return True
        return shape.max_len is not None and len(value) > shape.max_len

    def _tag(self, f: _Frame, n: Node, key: Any, value: Any) -> None:
        """The discriminator of a discriminated union's object is complete: its variant."""
        union = n.inner
        assert union is not None
        variant = union.variant(value)
        if variant is None:
            f.need = True  # not a tag: the union says so when the object closes
            f.fields, f.extra = {}, PENDING_NODE
            return
        f.shape = variant
        f.tag = value
        f.fields, f.extra, f.items = variant.lookup
        f.need = f.need or variant.whole
        if f.partial is None and self._live and f.parent is not None and f.parent.partial is not None:
            p = self._build(variant, f.value, f.depth)
            self._put(f.parent, f.key, p)
            f.partial = p if variant.wrapper is None else p.root

    def _count(self, f: _Frame, n: Node) -> None:
        """A list with max_length got an item: past the limit it can only get longer."""
        lst = n.inner
        assert lst is not None and lst.overflow is not None
        if len(f.value) > lst.overflow and self._checking and f.node is not None:
            validator = f.node.validator
            if validator is not None:
                try:
                    validator.validate_json(_dumps(f.value))
                except ValidationError as e:
                    self._fail(e, self._loc(f), f.parent)
                except Exception:
                    pass

    def _forbidden(self, f: _Frame, key: Any, value: Any) -> None:
        """An unknown key under extra="forbid" has its value: pydantic's error for it."""
        if not self._checking:
            return
        detail = InitErrorDetails(type="extra_forbidden", loc=(self._loc_key(f, key),), input=value)
        err = ValidationError.from_exception_data(f.shape.cls.__name__ if f.shape and f.shape.cls else "Model", [detail])
        self._fail(err, self._loc(f), f)

    def _fail_json(self) -> None:
        """A value sits inside more containers than pydantic's JSON parser reads: its error
        (validate_json of the text so far fails where the whole text does)."""
        self._deep = False
        try:
            self._adapter.validate_json(_join([*self._blocks, *self._pieces]))
        except ValidationError as e:
            if e.errors()[0]["type"] == "json_invalid":
                self._fail(e, ())

    def _fail(self, error: ValidationError, loc: tuple[Any, ...], holder: _Frame | None = None) -> None:
        """Record an early failure (raised at the end of the feed); checks stop.

        ``holder`` is the open container holding the failed part. Inside a list with a
        max_length, pydantic reports only ``too_long`` if the list ends up too long: the failure
        waits for the outermost such list to close or overflow, which says which it is."""
        if not self._checking:
            return
        x = holder
        capped = None
        while x is not None:
            if x.items is not None and x.items.special == COUNTED:
                capped = x
            x = x.parent
        if capped is not None:
            capped.need = capped.doomed = True  # validated whole when it closes: its errors
            return
        self._checking = False
        self._limit = None
        self._new = StreamValidationError(error, loc, self._parser.value, 0)
        self._pending = True

    def _loc(self, f: _Frame, key: Any = _UNSET) -> tuple[Any, ...]:
        """pydantic's error location of frame ``f`` (and of its member ``key``). A frame's own
        tag is left out for the frame itself: its validator (the union's) puts it in."""
        out: list[Any] = []
        if key is not _UNSET and key is not None:
            out.append(self._loc_key(f, key))
        x: _Frame | None = f
        while x is not None and x.parent is not None:
            if x.tag is not _NO_TAG and (x is not f or key is not _UNSET):
                out.append(x.tag)
            if x.key is not None:
                out.append(self._loc_key(x.parent, x.key))
            x = x.parent
        out.reverse()
        return tuple(out)

    @staticmethod
    def _loc_key(f: _Frame, key: Any) -> Any:
        return f.loc_of(key) if f.shape is not None else key

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
        if self._final is not _UNSET and self._final_error is None:
            return self._final
        if not self._live:
            self._make_live()
        if self._shown is not None:
            self._show()
        if self._root.node is not None and self._proot is None:
            return self._parser.value  # (a top-level scalar or string: as received)
        return self._proot

    def _make_live(self) -> None:
        """Build the typed partial value once (O(what was received)); events keep it up."""
        self._live = True
        frames: list[_Frame] = []
        x = self._top
        while x is not self._root:
            frames.append(x)
            assert x.parent is not None
            x = x.parent
        frames.reverse()
        root = self._plan
        if not frames:
            if self._parser.value is None:
                self._proot = self._empty(root)
            else:
                self._proot = None if self._parser.value.__class__ not in (dict, list) else self._build(root, self._parser.value, 1)
            self._root.partial = _RootHolder(self)
            self._typed.clear()
            return
        self._root.partial = _RootHolder(self)
        parent = self._root
        for k, fr in enumerate(frames):
            nxt = frames[k + 1] if k + 1 < len(frames) else None
            if parent.partial is None:
                break  # (below an untyped container: nothing typed)
            obj, target = self._shell(fr)
            fr.partial = target
            self._put(parent, fr.key, obj)
            if target is not None:
                items = fr.value.items() if fr.value.__class__ is dict else enumerate(fr.value)
                for key, v in items:
                    if nxt is not None and v is nxt.value and key == nxt.key:
                        continue  # the open child: its own frame, next
                    self._put(fr, key, self._built(fr.shape.child(key) if fr.shape else None, fr.value, key, fr.depth + 1))
            parent = fr
        if self._string is not None:
            sf, skey = self._string
            if sf.partial is not None:
                self._show_string(sf, skey)
        self._typed.clear()

    def _empty(self, n: Node) -> Any:
        """The typed partial value of a position before its value has begun."""
        if n.kind == OBJECT:
            obj = self._new_object(n)
        elif n.kind == LIST:
            obj = []
        elif n.kind == ANY or n.kind == LEAF or n.kind == TAGGED:
            return None
        else:
            obj = {}
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

    def _shell(self, f: _Frame) -> tuple[Any, Any]:
        """The typed partial object of an open container (what its parent holds, and where its
        members go), or (the raw container, None) where it is not typed."""
        n = f.shape
        if n is None or n.kind == TAGGED or n.container is not f.value.__class__ or f.depth > self._too_deep:
            return f.value, None
        obj = self._new_object(n) if n.kind == OBJECT else [] if n.kind == LIST else {}
        return self._wrap(n, obj), obj

    def _adopt_partial(self, f: _Frame, child: _Frame) -> None:
        if f is self._root and self._proot is not None and child.shape is not None and child.shape.container is child.value.__class__ and child.shape.kind != TAGGED:
            obj = self._proot  # the empty value shown before any input: it grows now
            child.partial = obj.root if child.shape.wrapper is not None else obj
            return
        obj, target = self._shell(child)
        child.partial = target
        self._put(f, child.key, obj)

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
        if n.kind == OBJECT and cls is dict:
            obj = self._new_object(n)
            f = _Frame(None, None, n, raw)
            f.partial = obj
            for k in raw:
                self._put(f, k, self._built(n.child(k), raw, k, depth + 1))
            return self._wrap(n, obj)
        if n.kind == LIST and cls is list:
            return self._wrap(n, [self._built(n.items, raw, k, depth + 1) for k in range(len(raw))])
        if n.kind != OBJECT and n.kind != LIST and cls is dict:
            return self._wrap(n, {k: self._built(n.items, raw, k, depth + 1) for k in raw})
        return raw

    def _built(self, n: Node | None, container: Any, key: Any, depth: int) -> Any:
        """The typed partial value of ``container[key]``: pydantic's, if it validated it."""
        typed = self._typed.get((id(container), key))
        if typed is not None and typed[0] is container:
            return typed[1]
        return self._build(n, container[key], depth)

    def _put(self, f: _Frame, key: Any, value: Any) -> None:
        """Set a member of ``f``'s typed partial object."""
        obj = f.partial
        cls = obj.__class__
        if cls is list:
            if key == len(obj):
                obj.append(value)
            else:
                obj[key] = value
        elif cls is dict:
            shape = f.shape
            name = shape.names.get(key) if shape is not None and shape.kind == OBJECT else key
            if name is not None:
                obj[name] = value
            elif shape is not None and shape.extra_mode == "allow":
                obj[key] = value
        elif cls is _RootHolder:
            self._proot = value
        else:  # a model or a dataclass
            shape = f.shape
            assert shape is not None
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

    def _show_string(self, f: _Frame, key: Any) -> None:
        """Remember where the open string sits in the typed partial value (see _unshow)."""
        obj = f.partial
        if obj.__class__ is _RootHolder:
            return
        if obj.__class__ is list or obj.__class__ is dict:
            shape = f.shape
            tkey = shape.names.get(key, key) if obj.__class__ is dict and shape is not None and shape.kind == OBJECT else key
            self._shown = (obj, tkey, f, key)
        else:
            assert f.shape is not None
            name = f.shape.names.get(key)
            if name is not None:
                self._shown = (obj.__dict__, name, f, key)
        self._pending = True

    def _show(self) -> None:
        """Put the open string's text so far in the typed partial value (or forget it: closed)."""
        assert self._shown is not None
        target, tkey, f, key = self._shown
        if self._string is None or self._string[0] is not f or self._string[1] != key:
            self._shown = None  # it has closed (its final value is in place)
            return
        target[tkey] = f.value[key]

    def _unshow(self) -> None:
        """Before a feed: the typed partial value lets go of the open string, so the engine can
        extend it in place (a second reference would make each append copy it)."""
        assert self._shown is not None
        target, tkey, f, key = self._shown
        if self._string is not None and self._string[0] is f and self._string[1] == key:
            target[tkey] = ""
        else:
            self._shown = None


class _RootHolder:
    """The typed partial value's slot for the top-level value."""

    __slots__ = ("parser",)

    def __init__(self, parser: ModelParser[Any]) -> None:
        self.parser = parser
