"""``JSONLParser``: newline-delimited records (JSONL / NDJSON) from fragments of any size.

Work per fragment: one ``rfind`` for the last newline; a fragment without one is only appended
to the pending line (a list of pieces, joined once, so a long line fed in tiny deltas stays
O(n)). The complete lines of a fragment are parsed together by ``orjson.loads`` -- the fast path
for complete values -- unless the block holds a run of 19 or more digits (orjson turns integers
beyond 64 bits into floats, ``json.loads`` does not: found by the compiled engine's
``maybe_big_int``, or with ``bytes.translate`` + ``find``, all in C). Any line orjson rejects or might read differently is parsed again by the exact
engine, which either gives the ``json.loads`` value (e.g. ``1e400``, lone surrogate escapes) or
the precise :class:`ParseError`. So a record is always exactly ``json.loads(line)``.

The in-progress record's partial value (``.partial``) is computed lazily: the pending pieces
are fed to a :class:`~midstream.Parser` only when ``.partial`` is read, each piece once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import orjson

from . import engine as _engine
from .engine.build import DEFAULT_LIMITS
from .errors import LimitExceededError, ParseError, StreamValidationError
from .parser import Parser

__all__ = ["JSONLParser"]

_loads = orjson.loads
_OrjsonError = orjson.JSONDecodeError
# A run of 19+ digits in integer position (after a character that can precede a number:
# ``: , [ -`` or whitespace) may be an integer beyond 64 bits. Digits map to "0", those
# characters to "S"; fraction and exponent digits (after "." or "e") are not flagged.
_INT_RUNS = bytes.maketrans(b"123456789:,[-\t\n\r ", b"000000000SSSSSSSS")
_LONG_INT = b"S" + b"0" * 19
_LONG_INT_AT_START = b"0" * 19
_BLANK = b" \t\r"
_BOM = b"\xef\xbb\xbf"

OnError = Literal["raise", "skip"]


class JSONLParser:
    """Push parser for newline-delimited JSON records.

    ``feed(chunk)`` (``str`` or UTF-8 ``bytes``, split anywhere) returns the records completed by
    that chunk, in order; ``close()`` returns the records still pending (a last line without a
    trailing newline). Lines end with ``\\n`` or ``\\r\\n``; blank lines are skipped.

    ``on_error="raise"`` (default) raises the first malformed line as :class:`ParseError`
    (``.line`` is its 1-based line number; ``.partial`` the records that the failing call had
    completed before it) and the parser stops. ``on_error="skip"`` appends the error to
    ``.errors`` and goes on with the next line: every good record is still delivered.

    ``max_line`` bounds the bytes held for one pending line (``LimitExceededError``); the other
    limits are those of :class:`~midstream.Parser` and apply to each record.

    ``model=Item`` (any type pydantic validates) validates each record as its line completes:
    records are ``Item.model_validate_json(line)``; an invalid record is a
    :class:`~midstream.StreamValidationError` with its ``line`` (raised, or kept in ``errors``
    with ``on_error="skip"``), a malformed line a ``ParseError`` as without a model.
    """

    def __init__(
        self,
        on_error: OnError = "raise",
        *,
        max_line: int = 64 * 1024 * 1024,
        partial_strings: bool = True,
        max_depth: int = DEFAULT_LIMITS["max_depth"],
        max_string: int = DEFAULT_LIMITS["max_string"],
        max_number: int = DEFAULT_LIMITS["max_number"],
        model: Any = None,
        engine: str | None = None,
    ) -> None:
        if on_error not in ("raise", "skip"):
            raise ValueError(f"on_error must be 'raise' or 'skip', not {on_error!r}")
        self.errors: list[ParseError | StreamValidationError] = []
        # How a block of complete lines is read at once: orjson, or with a model its validate_json
        # (pydantic's own JSON reading, so no big-integer check is needed then).
        self._load: Any = _loads
        self._load_error: type[Exception] = _OrjsonError
        self._validate: Any = None  # with a model: its validate_json, one call per line
        if model is not None:
            from pydantic import ValidationError

            from .validation.plan import plan_for

            self._load = self._validate = plan_for(model)[0].validate_json
            self._load_error = ValidationError
        self._skip = on_error == "skip"
        self._max_line = max_line
        which = _engine.resolve(engine)
        #: The engine this parser runs ("compiled" or "python"; see :mod:`midstream.engine`).
        self.engine = which
        module = _engine.compiled() if which == "compiled" else None
        self._big: Callable[[bytes], bool] = (
            _py_maybe_big_int if module is None else module.maybe_big_int
        )
        self._opts: dict[str, Any] = {
            "engine": which,
            "partial_strings": partial_strings,
            "max_depth": max_depth,
            "max_string": max_string,
            "max_number": max_number,
        }
        self._pieces: list[bytes] = []  # the pending (incomplete) line
        self._size = 0  # bytes in _pieces
        self._lines = 0  # complete lines seen
        self._offset = 0  # byte offset of the pending line's start
        self._str_input: bool | None = None
        self._discard = False  # inside an over-long line: drop bytes until its newline
        self._partial: Parser | None = None
        self._partial_fed = 0  # pieces already fed to _partial
        self._failed: ParseError | None = None
        self._steady = False  # bytes input, no over-long line being dropped: feed's fast path
        self._closed = False

    @property
    def line(self) -> int:
        """Number of complete lines seen so far."""
        return self._lines

    @property
    def partial(self) -> Any:
        """Best-effort partial value of the record in progress (``None`` if none has begun)."""
        pieces = self._pieces
        if not pieces or self._discard:
            return None
        p = self._partial
        if p is None:
            p = self._partial = Parser(**self._opts)
            self._partial_fed = 0
        if p.failed is None:
            try:
                for k in range(self._partial_fed, len(pieces)):
                    piece = pieces[k]
                    if k == 0 and self._lines and piece.startswith(_BOM):
                        raise ParseError("byte order mark in the middle of the stream")
                    p.feed(piece)
            except ParseError:
                pass  # reported with its line number when the line completes
            self._partial_fed = len(pieces)
        return p.value

    def feed(self, chunk: str | bytes | bytearray | memoryview) -> list[Any]:
        """Records completed by this chunk, in order."""
        if chunk.__class__ is bytes and self._steady and b"\n" not in chunk:
            # Fast path: a small delta inside a line (the common case when fed deltas).
            self._pieces.append(chunk)
            self._size += len(chunk)
            if self._size > self._max_line:
                return self._too_long([])
            return []
        if self._failed is not None or self._closed:
            raise ParseError(
                "feed() after " + ("close()" if self._closed else f"a parse error ({self._failed})")
            )
        if isinstance(chunk, str):  # (a str subclass too)
            if self._str_input is None:
                self._str_input = True
            data = str.encode(chunk, "utf-8", "surrogatepass")
        elif isinstance(chunk, (bytes, bytearray, memoryview)):
            if self._str_input is None:
                self._str_input = False
            data = chunk if chunk.__class__ is bytes else bytes(chunk)
        else:
            raise TypeError(f"feed() takes str or bytes, not {type(chunk).__name__}")
        # bytes deltas may take the fast path above from now on (unless a line is being dropped)
        self._steady = not self._str_input and not self._discard
        if b"\n" not in data:
            if self._discard:
                self._offset += len(data)
            elif data:
                self._pieces.append(data)
                self._size += len(data)
                if self._size > self._max_line:
                    return self._too_long([])
            return []
        lines = data.split(b"\n")
        tail = lines.pop()
        pieces = self._pieces
        consumed = self._size + len(data) - len(tail)  # bytes of the lines completed now
        if pieces:
            pieces.append(lines[0])
            lines[0] = b"".join(pieces)
        self._pieces = [tail] if tail else []
        self._size = len(tail)
        self._partial = None
        out: list[Any] = []
        if self._discard:
            # The first line is the rest of an over-long line: drop it.
            self._discard = False
            self._lines += 1
            self._offset += len(lines[0]) + 1
            del lines[0]
            self._parse_lines(lines, out)
        elif self._validate is not None or not (
            self._big(data) or (pieces and self._big(lines[0]))
        ):
            try:
                out = list(map(self._load, lines))
            except self._load_error:
                self._parse_lines(lines, out)
            else:
                self._lines += len(lines)
                self._offset += consumed
        else:
            self._parse_lines(lines, out)
        if self._size > self._max_line:
            return self._too_long(out)
        return out

    def close(self) -> list[Any]:
        """End of input: the records of the last line, if it had no trailing newline."""
        if self._failed is not None:
            raise self._failed
        if self._closed:
            return []
        self._closed = True
        self._steady = False
        out: list[Any] = []
        if self._pieces and not self._discard:
            block = b"".join(self._pieces)
            self._pieces = []
            self._parse_lines([block], out)
        return out

    # ---- internals -------------------------------------------------------------------------

    def _parse_lines(self, lines: list[bytes], out: list[Any]) -> None:
        """The careful path: line by line, exact, with line numbers."""
        for line in lines:
            self._lines += 1
            start = self._offset
            self._offset += len(line) + 1
            if not line.strip(_BLANK):
                continue
            invalid = None
            if self._validate is not None:
                try:
                    bare = line[3:] if self._lines == 1 and line.startswith(_BOM) else line
                    out.append(self._validate(bare))
                    continue
                except self._load_error as e:
                    if not any(d["type"] == "json_invalid" for d in e.errors()):  # type: ignore[attr-defined]
                        self._report_invalid(e, out)
                        continue
                    invalid = e  # malformed JSON: the exact parser says where
            elif not self._big(line) and not line.startswith(_BOM):
                try:
                    out.append(_loads(line))
                    continue
                except _OrjsonError:
                    pass
            try:
                value = self._exact(line)
            except ParseError as e:
                self._report(e, start + _byte_offset(line, e.offset), out)
            else:
                if invalid is not None:  # JSON we accept but pydantic's parser does not
                    self._report_invalid(invalid, out)
                else:
                    out.append(value)

    def _exact(self, line: bytes) -> Any:
        """``json.loads``-exact value of one line, or the precise error."""
        p = Parser(**self._opts)
        if self._str_input:
            try:  # the text as it was given (lone surrogates included)
                text = line.decode("utf-8", "surrogatepass")
            except UnicodeDecodeError:
                pass  # bytes fed to a str-fed parser: the engine's decoder reports them
            else:
                p.feed(text)
                return p.close()
        if self._lines != 1 and line.startswith(_BOM):
            raise ParseError("unexpected byte order mark (only the stream may start with one)")
        p.feed(line)  # bytes: decoded (and a leading BOM of line 1 accepted) by the engine
        return p.close()

    def _report(self, e: ParseError, offset: int, out: list[Any]) -> None:
        err = type(e)(
            e.msg,
            offset,
            self._lines,
            e.column,
            e.excerpt,
            e.partial,
        )
        if self._skip:
            self.errors.append(err)
            return
        err.partial = list(out)
        self._failed = err
        self._steady = False
        raise err

    def _report_invalid(self, e: Exception, out: list[Any]) -> None:
        err = StreamValidationError(e, (), None, self._offset, self._lines)
        if self._skip:
            self.errors.append(err)
            return
        err.partial = list(out)
        self._failed = err  # type: ignore[assignment]
        self._steady = False
        raise err

    def _too_long(self, out: list[Any]) -> list[Any]:
        err = LimitExceededError(
            f"line longer than max_line={self._max_line} bytes",
            self._offset + self._max_line,
            self._lines + 1,
            self._max_line + 1,
        )
        self._offset += self._size  # the dropped bytes
        self._pieces = []
        self._size = 0
        self._partial = None
        self._discard = True
        self._steady = False
        if self._skip:
            self.errors.append(err)
            return out
        err.partial = out
        self._failed = err
        self._steady = False
        raise err


def _byte_offset(line: bytes, char_offset: int) -> int:
    """Byte offset in ``line`` of the character at ``char_offset`` (error reporting only)."""
    if line.isascii():
        return char_offset
    return len(line.decode("utf-8", "replace")[:char_offset].encode("utf-8", "replace"))


def _py_maybe_big_int(text: bytes) -> bool:
    """Whether ``text`` may hold an integer literal of 19+ digits (orjson would make it a float).

    A line or chunk starts at a line start, where a number may begin without a preceding mark.
    The compiled engine's ``maybe_big_int`` says the same in one pass without a copy.
    """
    marked = text.translate(_INT_RUNS)
    return marked.find(_LONG_INT) >= 0 or marked.startswith(_LONG_INT_AT_START)
