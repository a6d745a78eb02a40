"""The one error hierarchy of midstream.

Every problem with the *input* surfaces as :class:`ParseError` (a ``ValueError``) or a
subclass, carrying where it happened (``offset``, ``line``, ``column``) and a short excerpt.
Wrong *use* of the API (feeding an ``int``) raises ``TypeError`` as usual.
"""

from __future__ import annotations

from typing import Any

__all__ = ["IncompleteJSONError", "LimitExceededError", "ParseError"]


class ParseError(ValueError):
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
