"""ValuePatcher: patch operations from a partial value that grows, without its parser's events.

:class:`~midstream.Patcher` makes operations from a parser's events. A relay that receives
:class:`~midstream.Update` objects (``updates()`` / ``aupdates()``) sees only the live partial
value after each delta. :class:`ValuePatcher` makes the same operations (``add``, ``append``,
``done``: README, "Patches") from that value alone, in O(depth + what is new) per call, never
O(document).

Why that is enough. By the partial-value contract a partial value only grows at its *open
spine*: the last member of each open container, down to the innermost one. Everything before
the spine is complete and never changes. So the patcher keeps one frame per open container on
the spine (the container, its pointer, how many of its children were sent, and how much of its
last child's string was sent) and, on each call:

1. finds the shallowest frame that gained children (one ``len()`` per frame: O(depth));
2. from the deepest frame up to that one, finishes each frame's last child (its string's new
   text, its ``done`` mark), then, where children were added, marks the frames below complete
   (a sibling follows them) and pops them;
3. sends the new children in document order: a complete one whole (an ``add`` per value, its
   ``done`` marks), the last one as the new spine (an empty container, or an open string);
4. sends the new text of the string at the tip of the spine (``s[sent:]``).

Each character and each value is sent once, so a whole stream costs O(document + deltas x
depth). The patcher holds the open containers (which the parser holds anyway), references to
complete values of open objects (to detect a repeated key, below) and a copy of the text sent
for the open string at the tip: never the parser's open string itself (a second reference to a
string stops CPython from extending it in place, which would make the parser quadratic).

Completion marks. A number or literal is complete when it appears; a string or container when a
sibling follows it, when its parent is complete, or at :meth:`ValuePatcher.finish` (the value is
complete). Without events these marks can lag the closing bracket by a few characters (until the
next member begins); the pointers given as ``valid`` (a model's ``Update.validated``) are marked
at once, with ``"valid": true``.

A repeated key (``{"a": 1, "a": 2}``: the parser, like ``json.loads``, keeps the last value in
the first key's place) changes a value off the spine. It is found when the object holding it is
complete (the identity of each member, or the text of the last string, is checked once then:
O(members)): the member is then sent again whole with an ``add`` (RFC 6902: replaces it). The
document the operations build equals the parser's value whenever no object with a repeated key
is open, and at the end always.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

__all__ = ["ValuePatcher", "pointer"]

Op = dict[str, Any]


def pointer(keys: Iterable[str | int]) -> str:
    """The RFC 6901 JSON Pointer of a path given as keys (``()`` -> ``""``)."""
    out = []
    for k in keys:
        s = str(k)
        if "~" in s or "/" in s:
            s = s.replace("~", "~0").replace("/", "~1")
        out.append("/" + s)
    return "".join(out)


def _child(base: str, key: str | int) -> str:
    s = key if isinstance(key, str) else str(key)
    if "~" in s or "/" in s:
        s = s.replace("~", "~0").replace("/", "~1")
    return f"{base}/{s}"


def _snapshot(v: Any) -> Any:
    """A deep copy of a complete value (so no operation shares a container with the source)."""
    c = v.__class__
    if c is dict:
        return {k: _snapshot(x) for k, x in v.items()}
    if c is list:
        return [_snapshot(x) for x in v]
    return v


def _utf8(s: str) -> bytes:
    return s.encode("utf-8", "surrogatepass")


#: finish() without a value.
_NOTHING: Any = object()


class _Frame:
    """An open container on the spine (or the box that holds the root during a call)."""

    __slots__ = ("c", "key", "keyp", "marked", "n", "ptr", "refs", "self_marked", "sent", "text")

    def __init__(self, c: Any, ptr: str) -> None:
        self.c = c
        self.ptr = ptr
        self.n = 0  # children sent
        self.key: Any = None  # the last child's key (dict key, list index)
        self.keyp = ""  # the last child's pointer
        self.text = -1  # the last child is a string: its length sent (else -1)
        #: objects only: the UTF-8 of the text sent for the last child's string (our own copy,
        #: checked when the string is complete: a repeated key may have replaced it)
        self.sent: bytearray | None = None
        self.marked = False  # the last child's done was sent
        self.self_marked = False  # this container's done was sent
        #: objects only: the children sent (None for an open string), for the repeated-key check
        self.refs: list[Any] | None = [] if c.__class__ is dict else None


class ValuePatcher:
    """Operations from successive partial values of one document (see the module docstring).

    >>> vp = ValuePatcher()
    >>> doc = {"title": "Str"}              # (a parser's live value, grown in place)
    >>> vp.diff(doc)
    [{'op': 'add', 'path': '', 'value': {}}, {'op': 'add', 'path': '/title', 'value': 'Str'}]
    >>> doc["title"] += "eaming"; doc["tags"] = ["a"]
    >>> vp.diff(doc)
    [{'op': 'append', 'path': '/title', 'value': 'eaming'}, {'op': 'done', 'path': '/title'}, {'op': 'add', 'path': '/tags', 'value': []}, {'op': 'add', 'path': '/tags/0', 'value': 'a'}]
    >>> vp.finish()
    [{'op': 'done', 'path': '/tags/0'}, {'op': 'done', 'path': '/tags'}, {'op': 'done', 'path': ''}]

    ``diff(value)`` takes the value as it is now: the same live object every time, grown in
    place, as ``Parser.value`` and ``Update.value`` are (it is read, never changed; a root
    container that is not the one before raises ``ValueError``); ``finish()`` says it is
    complete. ``marks=False`` leaves out the ``done`` operations.
    """

    __slots__ = ("_box", "_frames", "_ops", "_valid", "finished", "marks")

    def __init__(self, *, marks: bool = True) -> None:
        #: Whether ``done`` operations are made.
        self.marks = marks
        self._box = _Frame([], "")
        self._frames: list[_Frame] = [self._box]
        self._ops: list[Op] = []
        self._valid: dict[str, bool] | None = None
        #: ``finish()`` was called.
        self.finished = False

    @property
    def started(self) -> bool:
        """Whether a value has been sent."""
        return self._box.n > 0

    @property
    def open_pointer(self) -> str:
        """The pointer of the innermost value still open (where a parse error happened)."""
        f = self._frames[-1]
        if f.n and f.text >= 0:
            return f.keyp
        return f.ptr

    def diff(self, value: Any, valid: Sequence[str] = ()) -> list[Op]:
        """The operations from the last value to ``value`` (``None``: nothing yet); ``valid``
        lists the pointers of parts now complete and validated (``done`` with ``"valid": true``)."""
        if self.finished:
            raise ValueError("ValuePatcher: diff() after finish()")
        ops: list[Op] = []
        self._ops = ops
        box = self._box
        if value is None:
            if box.n:
                raise ValueError("ValuePatcher: the value went back to None")
            return ops
        if len(self._frames) > 1 and value is not self._frames[1].c:
            raise ValueError("ValuePatcher: diff() takes the same live value every time")
        box.c.append(value)  # (the box holds the root only during the call)
        self._valid = dict.fromkeys(valid, True) if valid and self.marks else None
        try:
            self._sync()
            if self._valid:
                self._mark_valid()
        finally:
            box.c.clear()
            self._valid = None
            self._ops = []  # (the caller's now: kept here, an added string would be copied at its next append)
        return ops

    def finish(self, value: Any = _NOTHING, valid: Sequence[str] = ()) -> list[Op]:
        """The value is complete: its last operations (``value``, when given, is diffed first:
        a top-level ``null``, which ``diff`` cannot tell from nothing yet, is given here) and
        the ``done`` marks of everything still open, innermost first."""
        box = self._box
        if value is None and not box.n and not self.finished:
            box.c.append(None)  # (a top-level null: the box holds it as the root)
            try:
                self._ops = []
                self._sync()
                ops = self._ops
            finally:
                box.c.clear()
        else:
            ops = self.diff(value, valid) if value is not _NOTHING and value is not None else []
        if self.finished:
            return ops
        self.finished = True
        self._ops = ops
        frames = self._frames
        if value is not _NOTHING and value is not None:
            box.c.append(value)
        try:
            while len(frames) > 1:
                self._close_top()
            if box.n:
                self._finish_child(box)
        finally:
            box.c.clear()
        return ops

    # -- internals ---------------------------------------------------------------------------

    def _done(self, ptr: str) -> None:
        if not self.marks:
            return
        valid = self._valid
        if valid and valid.pop(ptr, False):
            self._ops.append({"op": "done", "path": ptr, "valid": True})
        else:
            self._ops.append({"op": "done", "path": ptr})

    def _finish_child(self, f: _Frame) -> None:
        """The last child of ``f`` is complete: its last text, its check, its done mark."""
        if f.text >= 0:
            sent = f.sent
            f.sent = None
            if f.c:  # (the box without a value at finish(): the root string is as sent)
                s = f.c[f.key]
                if s.__class__ is str and len(s) > f.text:
                    piece = s[f.text :]
                    self._ops.append({"op": "append", "path": f.keyp, "value": piece})
                    if sent is not None:
                        sent += _utf8(piece)
                if sent is not None and (s.__class__ is not str or _utf8(s) != sent):
                    # a repeated key replaced the string: send the value again
                    self._ops.append({"op": "add", "path": f.keyp, "value": _snapshot(s)})
                if f.refs is not None:
                    f.refs[-1] = s
            f.text = -1
        if not f.marked:
            f.marked = True
            self._done(f.keyp)

    def _close_top(self) -> None:
        """The innermost open container is complete: finish it, check it, mark it, pop it."""
        frames = self._frames
        f = frames[-1]
        if f.n:
            self._finish_child(f)
        refs = f.refs
        if refs is not None:
            c = f.c
            if len(c) != len(refs) or any(c[k] is not r for k, r in zip(c, refs, strict=True)):
                # a repeated key replaced a member off the spine: send it again, whole
                for i, (k, v) in enumerate(c.items()):
                    if i >= len(refs) or v is not refs[i]:
                        p = _child(f.ptr, k)
                        self._ops.append({"op": "add", "path": p, "value": _snapshot(v)})
                        self._done(p)
        if not f.self_marked:
            f.self_marked = True
            self._done(f.ptr)
        frames.pop()
        frames[-1].marked = True  # (the parent's last child is this container)

    def _sync(self) -> None:
        frames = self._frames
        ops = self._ops
        box = self._box
        pend = [i for i, f in enumerate(frames) if len(f.c) > f.n]
        while pend:
            top = len(frames) - 1
            f = frames[top]
            if pend[-1] != top:  # an enclosing container has more children: this one is complete
                self._close_top()
                continue
            pend.pop()
            if f.n:
                self._finish_child(f)
            c = f.c
            count = len(c) - f.n
            if c.__class__ is dict:
                keys: list[Any] = list(islice(reversed(c), count))
                keys.reverse()
            else:
                keys = list(range(f.n, len(c)))
            f.n = len(c)
            refs = f.refs
            base = f.ptr
            for key in keys[:-1]:
                v = c[key]
                self._emit_complete(_child(base, key), v)
                if refs is not None:
                    refs.append(v)
            key = keys[-1]
            v = c[key]
            p = "" if f is box else _child(base, key)
            f.key = key
            f.keyp = p
            f.sent = None
            cls = v.__class__
            if cls is dict or cls is list:
                ops.append({"op": "add", "path": p, "value": {} if cls is dict else []})
                f.marked = False
                f.text = -1
                if refs is not None:
                    refs.append(v)
                frames.append(_Frame(v, p))
                if v:
                    pend.append(top + 1)
            elif cls is str:
                ops.append({"op": "add", "path": p, "value": v})
                f.marked = False
                f.text = len(v)
                if refs is not None:
                    refs.append(None)  # (never the open string itself: see the module docstring)
                    f.sent = bytearray(_utf8(v))
            else:
                ops.append({"op": "add", "path": p, "value": v})
                f.text = -1
                f.marked = True
                if refs is not None:
                    refs.append(v)
                self._done(p)
        # the open string at the tip of the spine
        f = frames[-1]
        if f.text >= 0:
            s = f.c[f.key]
            if s.__class__ is str and len(s) > f.text:
                piece = s[f.text :]
                ops.append({"op": "append", "path": f.keyp, "value": piece})
                f.text = len(s)
                if f.sent is not None:
                    f.sent += _utf8(piece)

    def _emit_complete(self, p: str, v: Any) -> None:
        """A complete value at ``p``: its operations and done marks (iterative: any depth)."""
        ops = self._ops
        cls = v.__class__
        if cls is not dict and cls is not list:
            ops.append({"op": "add", "path": p, "value": v})
            self._done(p)
            return
        ops.append({"op": "add", "path": p, "value": {} if cls is dict else []})
        stack: list[tuple[str, Iterator[tuple[Any, Any]]]] = [
            (p, iter(v.items()) if cls is dict else enumerate(v))
        ]
        while stack:
            base, it = stack[-1]
            for k, x in it:
                q = _child(base, k)
                c = x.__class__
                if c is dict or c is list:
                    ops.append({"op": "add", "path": q, "value": {} if c is dict else []})
                    stack.append((q, iter(x.items()) if c is dict else enumerate(x)))
                    break
                ops.append({"op": "add", "path": q, "value": x})
                self._done(q)
            else:
                stack.pop()
                self._done(base)

    def _mark_valid(self) -> None:
        """Validated parts still on the spine: their done mark now."""
        valid = self._valid
        assert valid is not None
        box = self._box
        for ptr in list(valid):
            for f in reversed(self._frames):
                if f.ptr == ptr and f is not box:
                    if not f.self_marked:
                        f.self_marked = True
                        self._ops.append({"op": "done", "path": ptr, "valid": True})
                    break
                if f.n and f.keyp == ptr:
                    if not f.marked:
                        f.marked = True
                        self._ops.append({"op": "done", "path": ptr, "valid": True})
                    break
        valid.clear()
