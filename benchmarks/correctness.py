"""The correctness column: is the final value right, and does a snapshot ever go backwards?

``same(a, b)``: equal as JSON values with the types included (``1``, ``1.0`` and ``True`` all
differ; object key order does not count).

``backwards(snapshots)``: for each pair of successive snapshots (earlier ``a``, later ``b``),
what a reader of ``a`` saw that ``b`` takes back, counted by kind, one per place:

* ``number``: a number that changes (a number shown cut, ``12`` then ``123``, or ``1`` then
  ``1.5``: the earlier was a prefix of the document's number; any other change counts too);
* ``missing``: a key or an array element present in ``a``, absent from ``b``;
* ``type``: a value whose type changes (``null`` shown for a value not yet read, then the
  value, counts: the document never held that ``null``). ``int`` and ``float`` are one kind
  here (their change is a ``number``); before the first value (``None`` at the top) nothing is
  counted;
* ``string``: a string that is not a prefix of its later value;
* ``changed``: any other value that changes (a ``true`` that becomes ``false``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

KINDS = ("number", "missing", "type", "string", "changed")


def same(a: Any, b: Any) -> bool:
    """``a == b`` with the JSON types compared too (bool, int, float, str, None, list, dict)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _compare(a: Any, b: Any, out: Counter[str]) -> None:
    if _number(a) and _number(b):
        if a != b or type(a) is not type(b):
            out["number"] += 1
        return
    if type(a) is not type(b):
        out["type"] += 1
        return
    if isinstance(a, str):
        if not b.startswith(a):
            out["string"] += 1
    elif isinstance(a, dict):
        for k, v in a.items():
            if k in b:
                _compare(v, b[k], out)
            else:
                out["missing"] += 1
    elif isinstance(a, list):
        if len(b) < len(a):
            out["missing"] += len(a) - len(b)
        for x, y in zip(a, b, strict=False):
            _compare(x, y, out)
    elif a != b:  # bool (None == None)
        out["changed"] += 1


def backwards(snapshots: Iterable[Any]) -> Counter[str]:
    """What successive snapshots take back, by kind (see the module's docstring)."""
    out: Counter[str] = Counter()
    prev: Any = None
    started = False
    for s in snapshots:
        if started:
            _compare(prev, s, out)
        prev = s
        started = started or s is not None
    return out


def check(snapshots: list[Any], final: Any, expected: Any) -> dict[str, Any]:
    """The column's record for one run: the final value right (``same``), and ``backwards`` over
    the snapshots followed by the final value."""
    return {"final_ok": same(final, expected), "backwards": dict(backwards([*snapshots, final]))}
