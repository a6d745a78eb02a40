"""Decoding layer: bytes fragments -> str fragments, split anywhere.

A UTF-8 sequence cut between two fragments is held back (at most 3 bytes) until the rest
arrives; a byte order mark is accepted at the very start of the stream only. Invalid UTF-8
(overlong forms, encoded surrogates, stray continuation bytes) is a :class:`ParseError`.
``str`` fragments pass through untouched.
"""

from __future__ import annotations

from codecs import utf_8_decode

from ..errors import IncompleteJSONError, ParseError

__all__ = ["Utf8Decoder"]

BOM = "\ufeff"


class Utf8Decoder:
    """Incremental strict UTF-8 decoder; ``decode(b)`` returns the text complete so far."""

    __slots__ = ("pending", "start")

    def __init__(self) -> None:
        self.pending = b""  # the start of a cut multi-byte sequence (<= 3 bytes)
        self.start = True  # nothing decoded yet: a leading BOM is still allowed

    def decode(self, data: bytes | bytearray | memoryview, chars_before: int) -> str:
        """Decode the next fragment; ``chars_before`` is the stream's character count so far."""
        if self.pending:
            data = self.pending + bytes(data)
        try:
            text, used = utf_8_decode(data, "strict", False)
        except UnicodeDecodeError as e:
            good = utf_8_decode(bytes(data[: e.start]), "strict", False)[0]
            bad = bytes(data[e.start : e.end])
            err = ParseError(
                f"invalid UTF-8 ({e.reason}): {bad!r}",
                chars_before + len(good),
            )
            err.good = good  # type: ignore[attr-defined]  # the text decoded before the bad bytes
            raise err from None
        self.pending = bytes(data[used:]) if used != len(data) else b""
        if self.start and text:
            self.start = False
            if text[0] == BOM:
                text = text[1:]
        return text

    def finish(self, chars_before: int) -> None:
        """End of input: a UTF-8 sequence still cut is an incomplete input."""
        if self.pending:
            raise IncompleteJSONError(
                f"input ends inside a UTF-8 sequence {self.pending!r}", chars_before
            )
