"""The one error hierarchy of midstream.

Every problem with the *input* is a :class:`MidstreamError` (a ``ValueError``), carrying where it
happened (``offset``, ``line``, ``column``) and what had been received (``partial``)::

    MidstreamError(ValueError)
    ├── ParseError                  the text is not JSON (RFC 8259) at offset / line / column
    │   ├── IncompleteJSONError     the input ended before the value did
    │   └── LimitExceededError      a limit (depth, string, number, line) was exceeded
    ├── StreamValidationError       a part of the document failed a pydantic model, at ``path``
    └── PatchError                  a patch operation does not fit the document (apply_patch)

Feeding a parser after its end (after ``close()``, or after an error stopped it) is a
``ParseError`` too, saying so. Only arguments of the wrong type raise ``TypeError``.

An error does not depend on how the input was split into fragments: the same class, message,
location and ``partial`` whether the text came whole, a character at a time, or cut anywhere
(``excerpt``, the text around the error, is taken from the fragment at hand). The rule:

* ``offset`` (in characters, bytes input decoded) is the first character of the token that is
  wrong: a malformed number, literal or escape sequence at its first character (``[1.2.3]`` and
  ``[tru]`` at offset 1, ``"\\x"`` at the backslash); any other syntax error at the character
  that cannot be there (a bracket or comma out of place, a control character in a string,
  invalid UTF-8). The first error in the text is the one reported.
* A limit is located at the start of the token that exceeds it: the opening quote of a string
  or key longer than ``max_string``, the first character of a number longer than
  ``max_number`` (or of an integer beyond Python's int-conversion limit), the bracket one level
  deeper than ``max_depth``. A malformed number is a ``ParseError`` unless its valid start alone
  is already longer than ``max_number``.
* An input that ends early raises :class:`IncompleteJSONError` at its end; a malformed token
  (``00``, ``1.2.3``, ``-.5``) is a ``ParseError`` as soon as its bad character arrives, never
  an incomplete input.
* ``partial`` holds everything received before the error: an open string with its text up to
  the bad character (shown even with ``partial_strings=False``), a string longer than
  ``max_string`` cut to its first ``max_string`` characters; a number or literal only if it was
  complete; a key only once its value has begun.
"""

from __future__ import annotations

TYPE_CHECKING = False  # (typing is not imported at run time: see engine/build.py)
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "IncompleteJSONError",
    "LimitExceededError",
    "MidstreamError",
    "ParseError",
    "PatchError",
    "StreamValidationError",
]



class MidstreamError(ValueError):
    """Base of every error midstream raises about its input: ``msg``, ``offset``, ``partial``."""

    msg: str
    partial: Any


class ParseError(MidstreamError):
    """The input is not valid JSON (RFC 8259) at ``offset`` (0-based), ``line``/``column`` (1-based).

    ``partial`` holds what had been received before the error: for :class:`~midstream.Parser`
    the partial value, for :class:`~midstream.JSONLParser` the records completed by the failing
    call before the bad line. Nothing received is lost.
    """

    def __init__(
        self,
        msg: str,
        offset: int = 0,
        line: int = 1,
        column: int = 1,
        excerpt: str = "",
        partial: Any = None,
    ) -> None:
        self.msg = msg
        self.offset = offset
        self.line = line
        self.column = column
        self.excerpt = excerpt
        self.partial = partial
        where = f"line {line} column {column} (char {offset})"
        text = f"{msg}: {where}"
        if excerpt:
            text += f" near {excerpt!r}"
        super().__init__(text)

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            type(self),
            (self.msg, self.offset, self.line, self.column, self.excerpt, self.partial),
        )


class IncompleteJSONError(ParseError):
    """The input ended before the JSON value was complete; ``partial`` holds the partial value."""


class LimitExceededError(ParseError):
    """A configured limit (nesting depth, token length, buffered size) was exceeded."""


class StreamValidationError(MidstreamError):
    """A part of the document failed validation (see :class:`~midstream.ModelParser`).

    ``errors()`` is pydantic's error list with ``loc`` from the root of the document; ``path`` is
    the JSON path of the value that failed (``()`` for the whole document); ``validation_error``
    pydantic's own ``ValidationError``; ``partial`` the partial value received so far;
    ``consumed`` (also ``offset``) how many characters (or bytes) had been fed when the failure
    was found; ``line`` the JSONL line number (1 for a single document).
    """

    def __init__(
        self,
        error: Any,
        path: tuple[Any, ...] = (),
        partial: Any = None,
        consumed: int = 0,
        line: int | None = None,
    ) -> None:
        self.validation_error = error
        self.path = path
        self.partial = partial
        self.consumed = consumed
        self._errors: list[dict[str, Any]] = [
            {**e, "loc": (*path, *e["loc"])} for e in error.errors()
        ]
        where = "/".join(map(str, path))
        if line is not None:
            where = f"line {line}" + (f" /{where}" if where else "")
        where = where or "the document"
        first = self._errors[0]
        loc = ".".join(map(str, first["loc"])) or "(root)"
        more = f" (+{len(self._errors) - 1} more)" if len(self._errors) > 1 else ""
        self.msg = f"validation failed at {where}: {loc}: {first['msg']} [{first['type']}]{more}"
        self.line = line
        ValueError.__init__(self, self.msg)

    @property
    def offset(self) -> int:
        """Characters (or bytes) fed when the failure was found (the same as ``consumed``)."""
        return self.consumed

    def errors(self) -> list[dict[str, Any]]:
        return list(self._errors)

    def error_count(self) -> int:
        return len(self._errors)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.validation_error, self.path, self.partial, self.consumed, self.line))


class PatchError(MidstreamError):
    """A patch operation could not be applied (see :func:`midstream.apply_patch`).

    ``op`` is the operation, ``index`` its position in the list, ``msg`` what is wrong (a path
    that does not lead to a value, ``append`` to a value that is not a string, an unknown op);
    ``partial`` the document with the operations before it applied (they are applied in place).
    """

    def __init__(self, msg: str, op: Any = None, index: int = 0, partial: Any = None) -> None:
        self.msg = msg
        self.op = op
        self.index = index
        self.partial = partial
        ValueError.__init__(self, f"{msg} (operation {index}: {op!r:.200})")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.msg, self.op, self.index, self.partial))
