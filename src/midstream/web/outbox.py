"""Outbox: the operations waiting for one client, coalesced, bounded in bytes.

A relay reads the upstream as fast as it comes (an LLM does not wait) and writes to each client
as fast as that client reads. When a client is slower than the stream, what it has not read yet
waits here, and is merged while it waits:

* an ``append`` to a string whose ``add`` or ``append`` is still waiting joins that operation
  (``add /s "ab"`` + ``append /s "c"`` + ``append /s "d"`` -> ``add /s "abcd"``), so a waiting
  string costs its text plus one frame, however many deltas made it;
* every other operation waits as it is, in order (an ``add``, a ``done``: one per value).

So what waits is bounded by what the document grew since the client's last write: each
character once, plus a frame per value, never a frame per delta. The joining is O(1) per
operation (the text of a waiting string is kept as a list of pieces, joined once at ``take()``:
a string grown in place by ``+=`` would be copied at each delta, O(n^2)).

``size`` counts the bytes the waiting operations will take on the wire (their JSON text as
:func:`~midstream.patches.ops_json` writes it, counted in UTF-8 for the strings' text and
estimated for the rest: the frame of an operation, its pointer, a number). Past ``limit``,
:meth:`Outbox.put` returns ``False``: the relay's policy (:mod:`midstream.web`) is then to drop
that client with an error event rather than hold more.

Sans-I/O: no clock, no awaiting; :mod:`midstream.web.relay` drives it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Outbox", "op_size"]

Op = dict[str, Any]

def _text_size(s: str) -> int:
    if s.isascii():
        return len(s) + 2
    return len(s.encode("utf-8", "surrogatepass")) + 2


def op_size(op: Op) -> int:
    """The estimated bytes of one operation in a patch event: exact for the frame
    (``{"op":"add","path":"P","value":V},``) and ASCII strings, estimated for the rest
    (escapes, numbers, the members other than ``op``, ``path`` and ``value``)."""
    kind = op["op"]
    n = 20 + len(kind) + len(op["path"])
    extra = len(op) - 2
    if "value" in op:
        extra -= 1
        v = op["value"]
        c = v.__class__
        n += 9
        if c is str:
            n += _text_size(v)
        elif c is int:
            n += 20 if -(10**18) < v < 10**18 else len(str(v))
        elif c is dict or c is list:
            n += 2 if not v else len(repr(v))
        elif v is True or v is None:
            n += 4
        elif v is False:
            n += 5
        else:
            n += 24  # (a float: at most 24 characters)
    return n + 13 * extra  # (,"valid":true)


def _seal(held: list[Any]) -> None:
    """Write the joined text into the waiting operation."""
    pieces = held[1]
    if len(pieces) > 1:
        held[0]["value"] = "".join(pieces)


class Outbox:
    """Operations waiting for one client (see the module docstring).

    >>> box = Outbox(limit=1 << 20)
    >>> box.put([{"op": "add", "path": "/s", "value": "ab"}])
    True
    >>> box.put([{"op": "append", "path": "/s", "value": "c"}, {"op": "append", "path": "/s", "value": "d"}])
    True
    >>> box.take()
    [{'op': 'add', 'path': '/s', 'value': 'abcd'}]
    >>> box.merged
    2

    ``put(ops)`` takes the operations as its own (the caller does not use them again: a patcher's
    fresh lists); ``take()`` returns everything waiting and empties the box.
    """

    __slots__ = ("_ops", "_text", "limit", "merged", "peak", "size")

    def __init__(self, limit: int) -> None:
        #: The most bytes that may wait (``put`` returns ``False`` past it).
        self.limit = limit
        self._ops: list[Op] = []
        #: pointer -> [the waiting op that carries that string's tail, its pieces]
        self._text: dict[str, list[Any]] = {}
        #: Estimated bytes waiting.
        self.size = 0
        #: The largest ``size`` reached.
        self.peak = 0
        #: Operations merged into one already waiting (since the box was made).
        self.merged = 0

    def __len__(self) -> int:
        return len(self._ops)

    def __bool__(self) -> bool:
        return bool(self._ops)

    def put(self, ops: list[Op]) -> bool:
        """Queue ``ops`` (merging appends); ``False`` when more than ``limit`` bytes now wait."""
        text = self._text
        queue = self._ops
        size = self.size
        for op in ops:
            kind = op["op"]
            if kind == "append":
                path = op["path"]
                held = text.get(path)
                v = op["value"]
                if held is not None:
                    held[1].append(v)
                    size += len(v) if v.isascii() else len(v.encode("utf-8", "surrogatepass"))
                    self.merged += 1
                    continue
                text[path] = [op, [v]]
            elif kind == "add" or kind == "replace":
                path = op["path"]
                v = op["value"]
                if path in text:
                    _seal(text.pop(path))
                if v.__class__ is str:
                    text[path] = [op, [v]]
                elif path == "" or ((v.__class__ is dict or v.__class__ is list) and v):
                    # (a value holding strings replaced an ancestor of some: later appends
                    # follow their own add)
                    for held in text.values():
                        _seal(held)
                    text.clear()
            queue.append(op)
            size += op_size(op)
        self.size = size
        if size > self.peak:
            self.peak = size
        return size <= self.limit

    def take(self) -> list[Op]:
        """Everything waiting, in order (appends merged); the box is then empty."""
        ops = self._ops
        for held in self._text.values():
            _seal(held)
        self._ops = []
        self._text = {}
        self.size = 0
        return ops

    def clear(self) -> None:
        """Drop everything waiting."""
        self._ops = []
        self._text = {}
        self.size = 0
