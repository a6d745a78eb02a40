"""What a relay sends, sans I/O: the items of a source turned into operations, and the frames.

:class:`PatchStream` takes the items a relay reads, one at a time, whatever the source gives:

=================================  ===============================================================
item                               made into operations by
=================================  ===============================================================
:class:`~midstream.Update`         :class:`~midstream.web.diff.ValuePatcher` on ``Update.value``
(``updates()`` / ``aupdates()``)   (one channel: the first that carries a JSON value, or the one
                                   ``channel`` selects); ``Update.validated`` marks parts
                                   ``"valid": true``; the ``done`` update completes the document
``str`` / ``bytes``                a :class:`~midstream.Parser` with a :class:`~midstream.Patcher`
(the JSON text, in deltas)         (exact events); the end of the source closes the parser
``list`` of operations             nothing: sent as they are (``patches()`` / ``apatches()``)
=================================  ===============================================================

The kind is told by the first item. The frames are Server-Sent Events (README, "The server")::

    event: start            data: {"v": 1, ...}          first, at once (headers flushed)
    data: [ops]                                            one per write (merged while waiting)
    : ping                                                 a comment while the upstream is silent
    event: done             data: {"stop_reason": ...}    the document is complete
    event: error            data: {"type", "message", "path", ...}    instead of done
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import IncompleteJSONError, MidstreamError, ParseError, StreamValidationError
from ..parser import Parser
from ..patches import Patcher, ops_json
from .diff import ValuePatcher, pointer

__all__ = [
    "PING",
    "PatchStream",
    "error_info",
    "frame",
    "patch_frame",
]

Op = dict[str, Any]

#: The keep-alive comment (ignored by every SSE reader).
PING = b": ping\n\n"

#: The version of the event format in the start event.
FORMAT_VERSION = 1


def frame(event: str, data: Any) -> bytes:
    """One named event whose data is ``data`` as compact ASCII JSON (one line)."""
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"), default=str)
    return f"event: {event}\ndata: {text}\n\n".encode()


def patch_frame(ops: list[Op]) -> bytes:
    """One unnamed event whose data is the operations (README, "To the browser")."""
    return b"data: " + ops_json(ops).encode("utf-8") + b"\n\n"


def error_info(exc: BaseException, path: str | None = None) -> dict[str, Any]:
    """The data of an error event: ``type``, ``message``, ``path`` (a JSON Pointer) and what the
    error carries (``offset``, ``line``, ``column``; ``errors`` for validation; ``stop_reason``
    for a cut stream). Errors that are not midstream's say only their type: their message may
    hold what the browser should not see (an upstream URL, a key)."""
    if not isinstance(exc, MidstreamError):
        return {"type": type(exc).__name__, "message": "the upstream stream failed", "path": path}
    info: dict[str, Any] = {"type": type(exc).__name__, "message": str(exc), "path": path}
    if isinstance(exc, StreamValidationError):
        info["path"] = pointer(exc.path)
        info["errors"] = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()[:20]
        ]
    elif isinstance(exc, ParseError):
        info["offset"] = exc.offset
        if not isinstance(exc, IncompleteJSONError) or exc.line != 1 or exc.column != 1:
            info["line"] = exc.line
            info["column"] = exc.column
    stop = getattr(exc, "stop_reason", None)
    if stop is not None:
        info["stop_reason"] = stop
    return info


class _OpenPaths:
    """An event consumer that knows the innermost open value (a text source's error path)."""

    __slots__ = ("stack", "string")

    def __init__(self) -> None:
        self.stack: list[Any] = []  # the paths of the open containers
        self.string: Any = None  # the path of the open string

    @property
    def pointer(self) -> str:
        if self.string is not None:
            return str(self.string.pointer)
        return str(self.stack[-1].pointer) if self.stack else ""

    def __call__(self, event: Any) -> None:
        name = event.__class__.__name__
        if name == "StringOpened":
            self.string = event.path
        elif name == "Opened":
            self.stack.append(event.path)
        elif name == "Closed":
            if self.string is not None and self.string is event.path:
                self.string = None
            elif self.stack:
                self.stack.pop()


def _is_update(item: Any) -> bool:
    cls = type(item)
    return cls.__name__ == "Update" and cls.__module__ == "midstream.integrations.updates"


class PatchStream:
    """The operations a relay sends, from the items of one source (see the module docstring).

    ``feed(item)`` returns the operations the item caused (possibly none); ``close()`` those of
    the end of the source (it may raise the parser's ``IncompleteJSONError``); ``complete`` is
    ``True`` once the document is complete (the relay stops reading: for ``Update`` items, the
    selected channel's ``done`` update); ``open_pointer`` where the document is still open;
    ``stop_reason`` the provider's, when known.

    ``channel``: which channel of an ``updates()`` stream to send: a predicate on
    :class:`~midstream.integrations.providers.Channel`, default the first channel whose value
    begins. ``marks``: ``done`` operations. ``parser_options`` go to the :class:`~midstream.Parser`
    of a text source.
    """

    __slots__ = (
        "_channel",
        "_kind",
        "_open",
        "_parser",
        "_patcher",
        "_pick",
        "_vp",
        "complete",
        "marks",
        "parser_options",
        "stop_reason",
    )

    def __init__(
        self,
        *,
        marks: bool = True,
        channel: Callable[[Any], bool] | None = None,
        **parser_options: Any,
    ) -> None:
        self.marks = marks
        self._pick = channel
        self._channel: Any = None
        self._kind = ""
        self._vp: ValuePatcher | None = None
        self._patcher: Patcher | None = None
        self._parser: Parser | None = None
        self._open: _OpenPaths | None = None
        self.parser_options = parser_options
        #: The document is complete: read no further.
        self.complete = False
        #: The provider's stop reason, when an update carried one.
        self.stop_reason: str | None = None

    @property
    def open_pointer(self) -> str:
        """Where the document is still open (the path an error event names)."""
        if self._vp is not None:
            return self._vp.open_pointer
        if self._open is not None:
            return self._open.pointer
        return ""

    def feed(self, item: Any) -> list[Op]:
        kind = self._kind
        if not kind:
            kind = self._start(item)
        if kind == "updates":
            return self._update(item)
        if kind == "text":
            if not isinstance(item, (str, bytes, bytearray, memoryview)):
                raise TypeError(f"a text source gave a {type(item).__name__}")
            assert self._parser is not None and self._patcher is not None
            self._parser.feed(item)
            return self._patcher.take()
        if not isinstance(item, list):
            raise TypeError(f"a source of operation lists gave a {type(item).__name__}")
        return [dict(op) for op in item]  # (the outbox merges into them: our own copies)

    def close(self) -> list[Op]:
        """The source ended (without an error)."""
        if self._kind == "text" and self._parser is not None and self._patcher is not None:
            self._parser.close()
            self.complete = True
            return self._patcher.take()
        if self._kind == "updates" and self._vp is not None and not self.complete:
            # updates() ended without the channel's done update and without an error: a channel
            # that never carried JSON (prose), whose value, if any, updates() took as complete
            self.complete = True
            return self._vp.finish() if self._vp.started else []
        self.complete = True
        return []

    def failed(self, exc: BaseException) -> list[Op]:
        """The last operations when the source failed with ``exc``: what the failing delta did
        before the error (a text source's parser, as ``patches()`` yields it; for a model's
        ``StreamValidationError``, the value up to the part that failed, so the browser shows
        it)."""
        if self._patcher is not None:
            return self._patcher.take()
        vp = self._vp
        partial = getattr(exc, "partial", None)
        if (
            vp is not None
            and not vp.finished
            and isinstance(exc, StreamValidationError)
            and partial.__class__ in (dict, list)
        ):
            try:
                return vp.diff(partial)  # (the model's raw value: the live one, grown)
            except ValueError:
                return []
        return []

    # -- internals ---------------------------------------------------------------------------

    def _start(self, item: Any) -> str:
        if _is_update(item):
            kind = "updates"
            self._vp = ValuePatcher(marks=self.marks)
        elif isinstance(item, (str, bytes, bytearray, memoryview)):
            kind = "text"
            self._patcher = Patcher(marks=self.marks)
            self._open = _OpenPaths()
            self._parser = Parser(on_event=[self._patcher, self._open], **self.parser_options)
        elif isinstance(item, list):
            kind = "ops"
        else:
            raise TypeError(
                "a relay source yields Update objects (updates() / aupdates()), JSON text "
                f"(str / bytes deltas) or lists of patch operations, not {type(item).__name__}"
            )
        self._kind = kind
        return kind

    def _update(self, u: Any) -> list[Op]:
        ch = u.channel
        mine = self._channel
        if mine is None:
            if u.value is None:
                return []
            pick = self._pick
            if pick is not None and not pick(ch):
                return []
            self._channel = mine = ch
        elif ch is not mine and ch != mine:
            return []
        if u.stop_reason is not None:
            self.stop_reason = u.stop_reason
        vp = self._vp
        assert vp is not None
        value = u.value
        if value is None:
            if vp.started:  # a text channel whose JSON turned out to be prose
                raise ParseError("the channel's text is not JSON after all", 0)
            return []
        valid: Sequence[str] = ()
        if u.validated:
            valid = [pointer(v.path) for v in u.validated]
        if u.done:
            self.complete = True
            return vp.finish(value, valid)
        return vp.diff(value, valid)
