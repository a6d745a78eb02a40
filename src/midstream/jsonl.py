"""``JSONLParser``: newline-delimited records (JSONL / NDJSON) from fragments of any size.

Work per fragment: a fragment without a newline is only appended to the pending line (a list of
pieces, joined once, so a long line fed in tiny deltas stays O(n)); ``str`` deltas are kept as
they come and encoded once per line. The complete lines of a fragment are parsed together by
``orjson.loads`` -- the fast path for complete values -- unless the block holds a run of 19 or
more digits (orjson turns integers beyond 64 bits into floats, ``json.loads`` does not: found by
the compiled engine's ``maybe_big_int``, or with ``bytes.translate`` + ``find``, all in C), or a
line long enough to exceed a limit. Any line orjson rejects or might read differently is parsed
again by the exact engine, which either gives the ``json.loads`` value (e.g. ``1e400``, lone
surrogate escapes) or the precise :class:`ParseError`. So a record is always exactly
``json.loads(line)``, and an error is the exact engine's on that line, whatever the split.

Limits: orjson knows none of ours (it only refuses nesting deeper than 1024, our default). A line
of at most ``_short`` bytes cannot exceed any (a string has at most as many characters as bytes,
a number is ASCII, a nesting level takes a byte); a longer one goes to the exact engine only when
a C scan finds that a limit may be hit (``_may_exceed``: bracket counts, the longest run of
number characters, the bytes between quotes). ``max_line`` is checked on every line, whole or
pending, so its verdict does not depend on where the chunks end either.

With a model, lines are read by pydantic's ``validate_json``, which accepts ``NaN`` and
``Infinity``: a block that holds either word goes line by line, and such a line is checked by the
exact engine before it is validated.

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
# The characters a number is made of, all mapped to "0": a number of n characters lies in a run
# of at least n of them (a longer run, e.g. ``"1e5e"`` in a string, only errs on the safe side).
_NUMBER_CHARS = bytes.maketrans(b"123456789.eE+-", b"0" * 14)
_CONTINUATION = bytes(range(0x80, 0xC0))  # UTF-8 continuation bytes (deleted to count characters)
#: orjson reads at most this many nested containers (and refuses deeper ones): below it, a line
#: it accepts is within any ``max_depth`` at least as large.
ORJSON_MAX_DEPTH = 1024
_BLANK = b" \t\r"
_BOM = b"\xef\xbb\xbf"
# What pydantic's JSON reader takes and RFC 8259 does not (checked by the exact engine)
_NAN = b"NaN"
_INFINITY = b"Infinity"

OnError = Literal["raise", "skip"]


class JSONLParser:
    """Push parser for newline-delimited JSON records.

    ``feed(chunk)`` (``str`` or UTF-8 ``bytes``, split anywhere) returns the records completed by
    that chunk, in order; ``close()`` returns the records still pending (a last line without a
    trailing newline). Lines end with ``\\n`` or ``\\r\\n``; blank lines are skipped. A byte order
    mark may open a bytes stream (not a later line, not ``str`` input: as :class:`Parser`).

    ``on_error="raise"`` (default) raises the first malformed line as :class:`ParseError`
    (``.line`` is its 1-based line number; ``.partial`` the records that the failing call had
    completed before it) and the parser stops (``failed`` is that error). ``on_error="skip"``
    appends the error to ``.errors`` and goes on with the next line: every good record is still
    delivered.

    ``max_line`` bounds the bytes of one line (its ``\\n`` not counted, a ``\\r`` before it
    counted): a longer line is a ``LimitExceededError`` at its ``max_line + 1``-th byte, and is
    never held whole. The other limits are those of :class:`~midstream.Parser` and apply to each
    record. Every limit gives the same verdict and the same error whatever the split.

    ``model=Item`` (any type pydantic validates) validates each record as its line completes:
    records are ``Item.model_validate_json(line)``; an invalid record is a
    :class:`~midstream.StreamValidationError` with its ``line`` (raised, or kept in ``errors``
    with ``on_error="skip"``), a malformed line a ``ParseError`` as without a model (``NaN`` and
    ``Infinity`` included, which pydantic's own JSON reader takes).
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
        self._max_depth = max_depth
        self._max_string = max_string
        self._long_number = b"0" * (max_number + 1)
        # The fast readers (orjson, pydantic) know none of our limits. A line of at most
        # ``_short`` bytes cannot exceed one (a string has at most as many characters as bytes,
        # a number is ASCII, each nesting level takes a byte) -- nor can a deeper line that orjson
        # accepts, when ``max_depth`` is at least orjson's own limit; longer lines are looked at
        # by ``_may_exceed`` and read by the exact engine when a limit might be hit.
        self._check_depth = max_depth < ORJSON_MAX_DEPTH or model is not None
        self._short = min(
            max_line, max_number, max_string + 2, max_depth if self._check_depth else max_line
        )
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
        # str deltas inside a line are kept as they come (``_text``, ``_chars`` characters) and
        # encoded together when the line goes on in the slow path: while ``_chars <= _room``
        # (a quarter of the bytes max_line leaves) they cannot make the line too long.
        self._text: list[str] = []
        self._chars = 0
        self._room = max_line // 4
        self._lines = 0  # complete lines seen
        self._offset = 0  # byte offset of the pending line's start
        self._str_input: bool | None = None
        self._discard = False  # inside an over-long line: drop bytes until its newline
        self._partial: Parser | None = None
        self._partial_fed = 0  # pieces already fed to _partial
        self._failed: ParseError | StreamValidationError | None = None
        # feed's fast paths, for a delta inside a line: bytes input (_steady), str input
        # (_steady_text); both off while an over-long line is dropped, after an error, or closed
        self._steady = False
        self._steady_text = False
        self._closed = False

    @property
    def line(self) -> int:
        """Number of complete lines seen so far."""
        return self._lines

    @property
    def failed(self) -> ParseError | StreamValidationError | None:
        """The error that stopped this parser (``on_error="raise"``), if any; ``feed`` and
        ``close`` raise again."""
        return self._failed

    @property
    def closed(self) -> bool:
        """Whether ``close()`` has returned: the input is over."""
        return self._closed

    @property
    def partial(self) -> Any:
        """Best-effort partial value of the record in progress (``None`` if none has begun)."""
        if self._text:
            self._flush_text()
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
        # Fast paths: a small delta inside a line (the common case when fed deltas). ``10`` is
        # b"\n": bytes.__contains__ takes an int straight to memchr, while a bytes needle first
        # fails as an int (an exception raised and cleared: 4x the cost of the test).
        if chunk.__class__ is bytes:
            if self._steady and 10 not in chunk:
                self._pieces.append(chunk)
                self._size += len(chunk)
                if self._size > self._max_line:
                    return self._pending_too_long([])
                return []
        elif chunk.__class__ is str and self._steady_text and "\n" not in chunk:
            self._text.append(chunk)
            self._chars += len(chunk)
            if self._chars > self._room:
                self._flush_text()
                if self._size > self._max_line:
                    return self._pending_too_long([])
            return []
        return self._feed(chunk)

    def close(self) -> list[Any]:
        """End of input: the records of the last line, if it had no trailing newline."""
        if self._failed is not None:
            raise self._failed
        if self._closed:
            return []
        if self._text:
            self._flush_text()
        self._steady = self._steady_text = False
        out: list[Any] = []
        if self._pieces and not self._discard:
            block = b"".join(self._pieces)
            self._pieces = []
            self._size = 0
            self._parse_lines([block], out)  # (an error raised here leaves it failed, not closed)
        self._closed = True
        return out

    # ---- internals -------------------------------------------------------------------------

    def _feed(self, chunk: str | bytes | bytearray | memoryview) -> list[Any]:
        """feed's slow path: a chunk with a newline, the first chunk, other types, the rare states."""
        if self._failed is not None or self._closed:
            raise self._after_end()
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
        if self._text:
            self._flush_text()
        # deltas of the input's type may take the fast paths from now on (unless a line is dropped)
        self._steady = not self._str_input and not self._discard
        self._steady_text = bool(self._str_input) and not self._discard
        if 10 not in data:  # (b"\n", see feed)
            if self._discard:
                self._offset += len(data)
            elif data:
                self._pieces.append(data)
                self._size += len(data)
                self._room = (self._max_line - self._size) >> 2
                if self._size > self._max_line:
                    return self._pending_too_long([])
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
        self._room = (self._max_line - self._size) >> 2
        self._partial = None
        out: list[Any] = []
        if self._discard:
            # The first line is the rest of an over-long line: drop it.
            self._discard = False
            self._steady = not self._str_input
            self._steady_text = bool(self._str_input)
            self._lines += 1
            self._offset += len(lines[0]) + 1
            del lines[0]
            self._parse_lines(lines, out)
        elif (consumed > self._short and max(map(len, lines)) > self._short) or (
            # what the fast readers would read differently: big integers for orjson,
            # NaN / Infinity for pydantic (a false alarm only costs the careful path)
            self._big(data) or (pieces and self._big(lines[0]))
            if self._validate is None
            else _NAN in data or _INFINITY in data or (pieces and (_NAN in lines[0] or _INFINITY in lines[0]))
        ):
            self._parse_lines(lines, out)
        else:
            try:
                out = list(map(self._load, lines))
            except self._load_error:
                self._parse_lines(lines, out)
            else:
                self._lines += len(lines)
                self._offset += consumed
        if self._size > self._max_line:
            return self._pending_too_long(out)
        return out

    def _flush_text(self) -> None:
        """Move the str deltas kept in ``_text`` to the pending line's bytes."""
        data = "".join(self._text).encode("utf-8", "surrogatepass")
        self._text = []
        self._chars = 0
        self._pieces.append(data)
        self._size += len(data)
        self._room = (self._max_line - self._size) >> 2

    def _parse_lines(self, lines: list[bytes], out: list[Any]) -> None:
        """The careful path: line by line, exact, with line numbers."""
        for line in lines:
            self._lines += 1
            start = self._offset
            self._offset += len(line) + 1
            risky = len(line) > self._short and self._may_exceed(line)
            if risky and len(line) > self._max_line:  # (blank or not: as when it is pending)
                self._fail(_line_too_long(line[: self._max_line + 1], start, self._lines, self._max_line), out)
                continue
            bare = line  # the line without the BOM that may open a bytes stream
            if self._lines == 1 and not self._str_input and line.startswith(_BOM):
                bare = line[3:]
            if not bare.strip(_BLANK):
                continue
            invalid = None
            if self._validate is not None:
                if not (risky or _NAN in line or _INFINITY in line):
                    try:
                        out.append(self._validate(bare))
                        continue
                    except self._load_error as e:
                        if not any(d["type"] == "json_invalid" for d in e.errors()):  # type: ignore[attr-defined]
                            self._report_invalid(e, out)
                            continue
                        invalid = e  # malformed JSON: the exact parser says where
            elif not risky and not self._big(line) and not line.startswith(_BOM):
                try:
                    out.append(_loads(line))
                    continue
                except _OrjsonError:
                    pass
            try:
                value = self._exact(line)
            except ParseError as e:
                at = _byte_offset(bare, e.offset, bool(self._str_input))  # (the engine skips a BOM)
                self._report(e, start + len(line) - len(bare) + at, out)
                continue
            if self._validate is None:
                out.append(value)
            elif invalid is not None:  # JSON we accept but pydantic's parser does not
                self._report_invalid(invalid, out)
            else:  # strict JSON within the limits: pydantic's value
                try:
                    out.append(self._validate(bare))
                except self._load_error as e:
                    self._report_invalid(e, out)

    def _may_exceed(self, line: bytes) -> bool:
        """Whether ``line`` (longer than ``_short``) may exceed a limit: the exact engine reads it
        then. Upper bounds found by C scans of the line, never by parsing it."""
        n = len(line)
        if n > self._max_line:
            return True
        if n - 2 > self._max_string and (
            # a string's characters are at most the bytes between its quotes
            b'\\"' in line or max(map(len, line.split(b'"'))) > self._max_string
        ):
            return True
        if self._check_depth and n > self._max_depth and (
            line.count(b"[") + line.count(b"{") > self._max_depth
        ):
            return True
        return n >= len(self._long_number) and self._long_number in line.translate(_NUMBER_CHARS)

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
        self._fail(type(e)(e.msg, offset, self._lines, e.column, e.excerpt, e.partial), out)

    def _report_invalid(self, e: Exception, out: list[Any]) -> None:
        self._fail(StreamValidationError(e, (), None, self._offset, self._lines), out)

    def _fail(self, err: ParseError | StreamValidationError, out: list[Any]) -> None:
        """A bad line: kept in ``errors`` (skip), or raised, stopping the parser (raise)."""
        if self._skip:
            self.errors.append(err)
            return
        err.partial = list(out)
        self._failed = err
        self._steady = self._steady_text = False
        raise err

    def _pending_too_long(self, out: list[Any]) -> list[Any]:
        """The pending line has passed max_line: report it, and drop it up to its newline."""
        if self._text:
            self._flush_text()
        err = _line_too_long(
            b"".join(self._pieces)[: self._max_line + 1], self._offset, self._lines + 1, self._max_line
        )
        self._offset += self._size  # the dropped bytes
        self._pieces = []
        self._size = 0
        self._room = self._max_line >> 2
        self._partial = None
        self._discard = True
        self._steady = self._steady_text = False
        self._fail(err, out)
        return out

    def _after_end(self) -> ParseError:
        """The error for ``feed()`` after ``close()`` or after an error stopped the parser."""
        failed = self._failed
        if failed is None:
            return ParseError("feed() after close()", self._offset, self._lines + 1)
        err = ParseError(
            f"feed() after a parse error ({failed.msg})",
            failed.offset,
            failed.line or self._lines,
            getattr(failed, "column", 1),
            partial=failed.partial,
        )
        err.__cause__ = failed
        return err


def _line_too_long(head: bytes, start: int, line: int, max_line: int) -> LimitExceededError:
    """The error of a line longer than ``max_line`` bytes, whose first ``max_line + 1`` are ``head``:
    at its byte ``max_line`` (offset in the stream; column: the character holding that byte)."""
    return LimitExceededError(
        f"line longer than max_line={max_line} bytes",
        start + max_line,
        line,
        len(head.translate(None, _CONTINUATION)),
    )


def _byte_offset(line: bytes, char_offset: int, text: bool) -> int:
    """Byte offset in ``line`` of the character at ``char_offset`` (error reporting only).

    ``text``: the line was fed as ``str`` (lone surrogates are one character of three bytes)."""
    if line.isascii():
        return char_offset
    errors = "replace"
    if text:
        try:
            decoded = line.decode("utf-8", "surrogatepass")
            errors = "surrogatepass"
        except UnicodeDecodeError:  # bytes fed to a str-fed parser: decoded as bytes
            decoded = line.decode("utf-8", "replace")
    else:
        decoded = line.decode("utf-8", "replace")
    # (an offset past the end, as the engine may give for input that ended, stays past it)
    beyond = max(0, char_offset - len(decoded))
    return len(decoded[:char_offset].encode("utf-8", errors)) + beyond


def _py_maybe_big_int(text: bytes) -> bool:
    """Whether ``text`` may hold an integer literal of 19+ digits (orjson would make it a float).

    A line or chunk starts at a line start, where a number may begin without a preceding mark.
    The compiled engine's ``maybe_big_int`` says the same in one pass without a copy.
    """
    marked = text.translate(_INT_RUNS)
    return marked.find(_LONG_INT) >= 0 or marked.startswith(_LONG_INT_AT_START)
