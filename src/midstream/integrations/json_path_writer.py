"""JSON text written forward from values addressed by JSON path.

Gemini streams a function call's arguments as ``partialArgs``: values addressed by a JSON path
(``$.recipe.steps[1]``), strings in pieces (``willContinue``). :class:`JSONPathWriter` turns them
into the JSON text of the arguments as they come, so that one :class:`~midstream.Parser` per call
sees the arguments grow as it would for any other provider. Each value is written once, in the
order it comes: O(size of the path) per value, nothing rewritten.
"""

from __future__ import annotations

import json
import json.encoder
import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["JSONPathWriter", "parse_json_path"]

#: Compact JSON text of a value.
dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
#: A string as a JSON string literal, quotes included (the C encoder when CPython has it).
quote: Callable[[str], str] = json.encoder.encode_basestring

_PATH_STEP = re.compile(
    r"\.([^.\[\]]+)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]|\[\"((?:[^\"\\]|\\.)*)\"\]"
)
_VALUE_KEYS = ("stringValue", "numberValue", "boolValue", "nullValue", "structValue", "listValue")


def parse_json_path(path: Any) -> tuple[str | int, ...]:
    """``$.a.b[0]['c d']`` as ``("a", "b", 0, "c d")``."""
    if not isinstance(path, str) or not path.startswith("$"):
        raise ValueError(f"not a JSON path: {path!r}")
    steps: list[str | int] = []
    k = 1
    while k < len(path):
        m = _PATH_STEP.match(path, k)
        if m is None:
            raise ValueError(f"not a JSON path: {path!r}")
        name, number, single, double = m.groups()
        if number is not None:
            steps.append(int(number))
        else:
            raw = name if name is not None else single if single is not None else double
            steps.append(raw if name is not None else re.sub(r"\\(.)", r"\1", raw))
        k = m.end()
    return tuple(steps)


class JSONPathWriter:
    """Writes values addressed by JSON path (Gemini's ``partialArgs``) out as JSON text.

    The values of a call come in document order (a member's value is complete before the next
    member begins), so the text is written forward: the containers along the current path stay
    open; a new path closes those it leaves and opens those it enters. A string value with
    ``willContinue`` stays open for the next piece of the same path. A path that goes back into
    a member already closed cannot be written forward and raises ``ValueError``.
    """

    __slots__ = ("frames", "open_string")

    def __init__(self) -> None:
        # one frame per open container: [is_object, key of its open child container (or None),
        # keys written (objects), next index (arrays)]
        self.frames: list[list[Any]] = []
        self.open_string: tuple[str | int, ...] | None = None

    def add(self, arg: Mapping[str, Any]) -> str:
        """The JSON text that writes one ``{"jsonPath": ..., "<kind>Value": ..., "willContinue":
        ...}`` (kinds: string, number, bool, null, struct, list)."""
        path = parse_json_path(arg.get("jsonPath"))
        key = next((k for k in _VALUE_KEYS if k in arg), None)
        if key is None:
            raise ValueError(f"no value in {arg!r}")
        value = arg[key]
        more = bool(arg.get("willContinue"))
        out: list[str] = []
        if self.open_string is not None:
            if path == self.open_string and key == "stringValue":
                out.append(quote(value)[1:-1])
                if not more:
                    out.append('"')
                    self.open_string = None
                return "".join(out)
            out.append('"')
            self.open_string = None
        if not path:
            raise ValueError("a value at the root of the arguments")
        frames = self.frames
        if not frames:
            root_is_object = isinstance(path[0], str)
            out.append("{" if root_is_object else "[")
            frames.append([root_is_object, None, set(), 0])
        # how deep the new path runs along the open containers
        k = 0
        while k < len(frames) - 1 and k < len(path) - 1 and frames[k][1] == path[k]:
            k += 1
        while len(frames) > k + 1:
            f = frames.pop()
            out.append("}" if f[0] else "]")
            frames[-1][1] = None
        for d in range(k, len(path)):
            step, f = path[d], frames[-1]
            if f[0]:
                if not isinstance(step, str) or step in f[2]:
                    raise ValueError(f"{arg.get('jsonPath')!r} goes back to a closed member")
                if f[2]:
                    out.append(",")
                f[2].add(step)
                out.append(quote(step) + ":")
            else:
                if not isinstance(step, int) or step < f[3]:
                    raise ValueError(f"{arg.get('jsonPath')!r} goes back to a closed member")
                if f[3]:
                    out.append(",")
                out.append("null," * (step - f[3]))  # skipped items (never seen in practice)
                f[3] = step + 1
            if d < len(path) - 1:
                child_is_object = isinstance(path[d + 1], str)
                out.append("{" if child_is_object else "[")
                f[1] = step
                frames.append([child_is_object, None, set(), 0])
        if key == "stringValue":
            out.append(quote(value)[:-1])
            if more:
                self.open_string = path
            else:
                out.append('"')
        elif key == "nullValue":
            out.append("null")
        else:
            out.append(dumps(value))
        return "".join(out)

    def finish(self) -> str:
        """The text that closes what is open (``{}`` when no value came)."""
        if not self.frames:
            return "{}"
        out = ['"'] if self.open_string is not None else []
        self.open_string = None
        while self.frames:
            out.append("}" if self.frames.pop()[0] else "]")
        return "".join(out)
