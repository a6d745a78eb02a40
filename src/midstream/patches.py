"""Patches: the partial value as a stream of JSON Patch operations, O(delta) bytes each.

A browser that shows a streamed document should not receive the whole partial value after every
delta (O(document) each time, O(n²) for the stream): it should receive what changed. The
:class:`Patcher` turns the parser's events (:mod:`midstream.events`) into operations::

    >>> from midstream import patches
    >>> for ops in patches(['{"title": "Str', 'eaming", "tags": ["a', '"]}']):
    ...     print(ops)
    [{'op': 'add', 'path': '', 'value': {}}, {'op': 'add', 'path': '/title', 'value': 'Str'}]
    [{'op': 'append', 'path': '/title', 'value': 'eaming'}, {'op': 'add', 'path': '/tags', 'value': []}, {'op': 'add', 'path': '/tags/0', 'value': 'a'}]
    []

The format (README, "To the browser"): RFC 6902 ``add`` with RFC 6901 JSON Pointers, plus two
extension operations that a standard RFC 6902 applier rejects (so a client cannot silently
misapply them)::

    {"op": "add", "path": P, "value": V}        a value began at P (an array index P appends)
    {"op": "append", "path": P, "value": TEXT}  the string at P grew by TEXT
    {"op": "done", "path": P}                   the value at P is complete (``marks=True`` only)

The first operation of a stream is ``add`` at the root ``""`` (``{}``, ``[]``, an open string or
a whole scalar); with ``multiple=True`` each value of the sequence starts with its own root
``add``, which replaces the document. Containers are added empty (an ``Opened`` container is
always empty when it opens) and filled by later operations; a number or literal is added once
complete; a string is added with its text so far and grown by ``append``. So applying the
operations of every delta in order to ``None`` gives, after each delta, exactly the parser's
partial value, and at the end exactly the value ``json.loads`` gives: every character of the
document is sent once, plus a path per value.

Completion marks (``marks=True``): one ``done`` operation per value, when it is complete (a
number or literal right after its ``add``; a string or container when it closes; the root
last). An operation object may carry more members than its op needs (RFC 6902 §4 has appliers
ignore them), which is where a validating parser will put its verdict:
``{"op": "done", "path": P, "valid": true}``.

Cost: O(1) per event (a path's pointer is built once and cached on its
:class:`~midstream.events.Path`), nothing at all for a parser that has no patcher; ``take()``
is O(operations taken).
"""

from __future__ import annotations

from .errors import MidstreamError, PatchError
from .parser import Parser

TYPE_CHECKING = False  # (typing is not imported at run time: see engine/build.py)
if TYPE_CHECKING:
    from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
    from typing import Any

    from .events import Closed, Event, Opened, Path, Scalar, StringGrew, StringOpened

    #: One operation: ``{"op": ..., "path": ..., "value": ...}`` (``done`` has no value).
    Op = dict[str, Any]
    Chunk = str | bytes

__all__ = [
    "Patcher",
    "apatches",
    "apatches_sse",
    "apply_patch",
    "ops_json",
    "patches",
    "patches_sse",
]

_events_loaded = False


def _load_events() -> None:
    """Bind the event classes (the event layer is loaded on first use, not with the package)."""
    global Closed, Opened, Scalar, StringGrew, StringOpened, _events_loaded
    from .events import Closed, Opened, Scalar, StringGrew, StringOpened

    _events_loaded = True


class Patcher:
    """An event consumer that turns a parser's events into patch operations.

    >>> from midstream import Parser
    >>> patcher = Patcher()
    >>> p = Parser(on_event=patcher)
    >>> _ = p.feed('["a')
    >>> patcher.take()
    [{'op': 'add', 'path': '', 'value': []}, {'op': 'add', 'path': '/0', 'value': 'a'}]
    >>> _ = p.feed('b"]')
    >>> patcher.take()
    [{'op': 'append', 'path': '/0', 'value': 'b'}]

    ``take()`` returns the operations since the last ``take()`` (O(their number)); appends to one
    string between two takes are merged into one operation (and into the string's ``add`` when
    it is still untaken). Values in operations are snapshots: containers are fresh and empty,
    scalars immutable, so later feeds never change an operation already taken.
    """

    __slots__ = ("_add", "_ops", "_text_op", "_text_path", "marks")

    def __init__(self, *, marks: bool = False) -> None:
        if not _events_loaded:
            _load_events()
        #: Whether ``done`` operations are emitted.
        self.marks = marks
        self._ops: list[Op] = []
        self._add = self._ops.append
        self._text_op: Op | None = None  # the untaken operation that carries the open string
        self._text_path: Path | None = None  # (its path, compared by identity)

    def take(self) -> list[Op]:
        """The operations since the last call (possibly none)."""
        ops = self._ops
        fresh: list[Op] = []
        self._ops = fresh
        self._add = fresh.append
        return ops

    def __call__(self, event: Event) -> None:
        # (in the order of their frequency in LLM output; indexed as tuples, faster than names)
        ev: Any = event
        cls = ev.__class__
        if cls is StringGrew:
            path = ev[0]
            op = self._text_op
            ops = self._ops
            if op is not None and self._text_path is path and ops and ops[-1] is op:
                op["value"] += ev[1]
            else:
                op = self._text_op = {"op": "append", "path": path.pointer, "value": ev[1]}
                self._text_path = path
                ops.append(op)
        elif cls is Scalar:
            pointer = ev[0].pointer
            self._add({"op": "add", "path": pointer, "value": ev[1]})
            if self.marks:
                self._add({"op": "done", "path": pointer})
        elif cls is Closed:
            if self.marks:
                self._add({"op": "done", "path": ev[0].pointer})
        elif cls is StringOpened:
            path = ev[0]
            op = self._text_op = {"op": "add", "path": path.pointer, "value": ev[1]}
            self._text_path = path
            self._add(op)
        elif cls is Opened:
            self._add({"op": "add", "path": ev[0].pointer, "value": {} if ev[1].__class__ is dict else []})
        # MemberBegan: the member appears once its value begins. Completed: its value's Scalar
        # or Closed came just before.


def patches(
    deltas: Iterable[Chunk], *, marks: bool = False, **parser_options: Any
) -> Iterator[list[Op]]:
    """Yield, for each delta, the list of operations it caused (possibly empty).

    When the end of the input completes something (a top-level number, which only its end can
    finish), one more list follows with those operations. ``parser_options`` go to
    :class:`~midstream.Parser` (``partial_strings``, ``multiple``, limits, ``engine``);
    ``marks=True`` adds ``done`` operations (see the module's documentation).

    A malformed stream raises ``ParseError`` (one that ends early ``IncompleteJSONError``) after
    the list of the operations that the failing delta (or the end of input) caused before the
    error, so the document the lists build is the error's ``partial``.
    """
    patcher = Patcher(marks=marks)
    p = Parser(on_event=patcher, **parser_options)
    feed = p.feed
    take = patcher.take
    for delta in deltas:
        try:
            feed(delta)
        except MidstreamError:
            yield take()
            raise
        yield take()
    last, error = _end(p, take)
    if last:
        yield last
    if error is not None:
        raise error


def _end(p: Parser, take: Callable[[], list[Op]]) -> tuple[list[Op], MidstreamError | None]:
    """``close()`` the parser: the operations the end of the input caused (a top-level number
    completing; on an error, what came before it), and the error, which the caller raises after
    yielding them."""
    try:
        p.close()
    except MidstreamError as e:
        return take(), e
    return take(), None


async def apatches(
    deltas: AsyncIterable[Chunk], *, marks: bool = False, **parser_options: Any
) -> AsyncIterator[list[Op]]:
    """Async twin of :func:`patches`."""
    patcher = Patcher(marks=marks)
    p = Parser(on_event=patcher, **parser_options)
    feed = p.feed
    take = patcher.take
    async for delta in deltas:
        try:
            feed(delta)
        except MidstreamError:
            yield take()
            raise
        yield take()
    last, error = _end(p, take)
    if last:
        yield last
    if error is not None:
        raise error


# ---- applying -------------------------------------------------------------------------------


def _unescape(token: str, op: Op, index: int, doc: Any) -> str:
    if "~" in token:
        if token.replace("~0", "").replace("~1", "").count("~"):
            raise PatchError(f"invalid JSON Pointer escape in {token!r}", op, index, doc)
        token = token.replace("~1", "/").replace("~0", "~")
    return token


def _index(token: str, size: int, op: Op, index: int, doc: Any) -> int:
    """The array index ``token`` names (RFC 6901: ``0`` or digits without a leading zero)."""
    if not (token.isdigit() and token.isascii() and (token == "0" or token[0] != "0")):
        raise PatchError(f"{token!r} is not an array index", op, index, doc)
    i = int(token)
    if i >= size:
        raise PatchError(f"array index {i} is out of range (length {size})", op, index, doc)
    return i


def _copy(value: Any) -> Any:
    """A copy of a JSON value's containers (so that the document never shares one with an op)."""
    if value.__class__ is dict:
        return {k: _copy(v) for k, v in value.items()}
    if value.__class__ is list:
        return [_copy(v) for v in value]
    return value


def apply_patch(doc: Any, ops: Iterable[Op]) -> Any:
    """Apply ``ops`` to ``doc`` and return the document (changed in place where it can be).

    RFC 6902 ``add`` (an object member is added or replaced; an array index inserts, ``-`` or
    the length appends) and ``replace`` (the target must exist); ``append`` (the target must be
    a string: the text is appended); ``done`` changes nothing. An operation at the root ``""``
    replaces the document (``doc`` is ``None`` before a stream's first operation). Values are
    copied into the document. Anything else raises :class:`~midstream.PatchError` (a
    ``ValueError``), whose ``partial`` is the document with the operations before it applied.
    """
    for index, op in enumerate(ops):
        try:
            kind = op["op"]
            path = op["path"]
        except (KeyError, TypeError, IndexError):
            raise PatchError("an operation is an object with 'op' and 'path'", op, index, doc) from None
        if kind == "done":
            continue
        if kind != "add" and kind != "replace" and kind != "append":
            raise PatchError(f"unsupported operation {kind!r}", op, index, doc)
        if "value" not in op:
            raise PatchError(f"{kind!r} needs a 'value'", op, index, doc)
        value = op["value"]
        if kind == "append" and value.__class__ is not str:
            raise PatchError("'append' needs a string value", op, index, doc)
        if path == "":
            if kind == "append":
                if doc.__class__ is not str:
                    raise PatchError("'append' to a value that is not a string", op, index, doc)
                doc += value
            else:
                doc = _copy(value)
            continue
        if path.__class__ is not str or path[0] != "/":
            raise PatchError(f"invalid JSON Pointer {path!r} (it starts with '/')", op, index, doc)
        tokens = path.split("/")
        parent = doc
        for raw in tokens[1:-1]:
            token = _unescape(raw, op, index, doc)
            if parent.__class__ is dict:
                if token not in parent:
                    raise PatchError(f"no member {token!r} on the way to {path!r}", op, index, doc)
                parent = parent[token]
            elif parent.__class__ is list:
                parent = parent[_index(token, len(parent), op, index, doc)]
            else:
                raise PatchError(f"{path!r} goes through a value that is not a container", op, index, doc)
        last = _unescape(tokens[-1], op, index, doc)
        key: Any
        if parent.__class__ is dict:
            key = last
            if kind != "add" and key not in parent:
                raise PatchError(f"no member {key!r} at {path!r}", op, index, doc)
        elif parent.__class__ is list:
            if kind == "add":
                size = len(parent)
                if last == "-" or last == str(size):
                    parent.append(_copy(value))
                    continue
                parent.insert(_index(last, size, op, index, doc), _copy(value))
                continue
            key = _index(last, len(parent), op, index, doc)
        else:
            raise PatchError(f"the parent of {path!r} is not a container", op, index, doc)
        if kind == "append":
            text = parent[key]
            if text.__class__ is not str:
                raise PatchError(f"'append' to a value that is not a string at {path!r}", op, index, doc)
            parent[key] = ""  # the document lets go of the string, so += can extend it in place
            text += value
            parent[key] = text
        else:
            parent[key] = _copy(value)
    return doc


# ---- on the wire ----------------------------------------------------------------------------


def ops_json(ops: list[Op]) -> str:
    """The operations as compact JSON text (what a server sends; the byte counts measure it).

    Non-ASCII characters are written as they are, except in a list holding a lone surrogate
    (which UTF-8 cannot carry): that list is written in ASCII with ``\\uXXXX`` escapes, which a
    browser's ``JSON.parse`` turns back into the same code unit. A non-finite number (``1e400``
    parses as ``inf``) added by an operation is written ``1e400`` / ``-1e400``, which
    ``JSON.parse`` reads as Infinity; NaN (which the parser never makes) raises ``ValueError``.

    orjson writes it when it writes it exactly (every value a scalar or an empty container, as
    the patcher makes them, no integer beyond 64 bits, no lone surrogate), else the standard
    library's encoder: the same JSON values either way.
    """
    global _fast
    if _fast is None:
        import orjson

        _fast = orjson.dumps
    for op in ops:
        v: Any = op.get("value")
        c = v.__class__
        if (c is float and v - v != 0.0) or ((c is dict or c is list) and v):
            return _ops_json_exact(ops)  # (orjson writes inf as null)
    try:
        text: str = _fast(ops).decode()
    except TypeError:  # orjson.JSONEncodeError: a big integer or a lone surrogate
        return _ops_json_exact(ops)
    return text


_fast: Any = None


def _ops_json_exact(ops: list[Op]) -> str:
    try:
        return _dumps(ops)
    except ValueError:
        pass
    import math

    parts = []
    for op in ops:
        v = op.get("value")
        if v.__class__ is float and math.isinf(v):
            head = _dumps({k: x for k, x in op.items() if k != "value"})[:-1]
            parts.append(f"{head},\"value\":{'1e400' if v > 0 else '-1e400'}}}")
        else:
            parts.append(_dumps(op))  # (a non-finite number deeper in a value raises)
    return "[" + ",".join(parts) + "]"


_encoder: Any = None


def _dumps(obj: Any) -> str:
    global _encoder
    if _encoder is None:
        import json

        _encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text: str = _encoder.encode(obj)
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:  # a lone surrogate
            import json

            text = json.dumps(obj, separators=(",", ":"), allow_nan=False)
    return text


def _sse(event: str, data: str) -> str:
    if event == "message":
        return f"data: {data}\n\n"
    return f"event: {event}\ndata: {data}\n\n"


def _sse_error(e: MidstreamError) -> str:
    import json

    info: dict[str, Any] = {"type": type(e).__name__, "message": str(e)}
    for name in ("offset", "line", "column"):
        if hasattr(e, name):
            info[name] = getattr(e, name)
    return _sse("error", json.dumps(info, ensure_ascii=True))


def patches_sse(
    deltas: Iterable[Chunk], *, marks: bool = False, **parser_options: Any
) -> Iterator[str]:
    """The patch stream as Server-Sent Events (text to encode as UTF-8 and send as it comes).

    One unnamed event (``data: [...]\n\n``, the ``message`` type) per delta that changed
    something, its data the list of operations as :func:`ops_json` writes it (a reader also
    accepts the same as ``event: patch``: the name costs 13 bytes per event, so it is left out),
    then ``event: done`` (``data: {}``); a malformed or truncated stream ends with
    ``event: error`` instead (``data``: ``{"type", "message", "offset", "line", "column"}``).
    ``src/midstream/static/midstream.js`` reads this format.
    """
    try:
        for ops in patches(deltas, marks=marks, **parser_options):
            if ops:
                yield _sse("message", ops_json(ops))
    except MidstreamError as e:
        yield _sse_error(e)
        return
    yield _sse("done", "{}")


async def apatches_sse(
    deltas: AsyncIterable[Chunk], *, marks: bool = False, **parser_options: Any
) -> AsyncIterator[str]:
    """Async twin of :func:`patches_sse`."""
    try:
        async for ops in apatches(deltas, marks=marks, **parser_options):
            if ops:
                yield _sse("message", ops_json(ops))
    except MidstreamError as e:
        yield _sse_error(e)
        return
    yield _sse("done", "{}")
