"""LLM text around one JSON value: prose before it and a Markdown code fence, found while streaming.

Models asked for JSON in plain content often write ``Here is the result:`` and/or wrap the value
in a ```` ```json ```` fence. :class:`Unwrap` takes the content deltas as they come and returns,
for each, the part that belongs to the JSON value, so a parser can be fed directly. It decides
with bounded look-ahead (it holds back at most a partial fence opener, ```` `` ```` plus a
language tag of at most 32 characters), never by buffering the whole text.

The rule, applied in order from the start of the text:

* leading whitespace is skipped;
* a fence opener (```` ``` ```` at the start of a line, an optional language tag, the end of that
  line) is skipped: the value starts after it;
* otherwise prose is skipped up to the first ``{`` or ``[``, or up to a fence opener at the start
  of a line (then as above). Only an object or an array is looked for: prose such as ``3 items:``
  or ``true to form`` must not be taken for a value (turn the option off for a stream whose
  value may be a bare string, number or literal);
* from the first character of the value on, everything is passed through: the parser decides
  where the value ends (``Parser(trailing="ignore")`` then ignores the closing fence and any
  prose after it).

``skipped`` holds the prose and fence text that was dropped (for logs); ``started`` says whether
the value has begun.
"""

from __future__ import annotations

__all__ = ["Unwrap"]

_MAX_TAG = 32


class Unwrap:
    """Incremental: ``feed(text)`` returns the part of ``text`` that belongs to the JSON value."""

    __slots__ = ("_at_line_start", "_held", "_in_fence_line", "skipped", "started")

    def __init__(self) -> None:
        self.started = False
        self.skipped = ""  # the text dropped before the value
        self._held = ""  # a possible fence opener, cut by the delta's end
        self._at_line_start = True
        self._in_fence_line = False  # inside the fence opener's line (its language tag)

    def feed(self, text: str) -> str:
        if self.started:
            return text
        text = self._held + text
        self._held = ""
        i, n = 0, len(text)
        while i < n:
            c = text[i]
            if self._in_fence_line:
                j = text.find("\n", i)
                if j < 0:
                    if n - i > _MAX_TAG:  # not a language tag: the fence was prose after all
                        self._in_fence_line = False
                        self._at_line_start = False
                        continue
                    self._held = text[i:]
                    self.skipped += text[:i]
                    return ""
                self._in_fence_line = False
                self._at_line_start = True
                i = j + 1
                continue
            if c == "`" and self._at_line_start:
                if text.startswith("```", i):
                    self._in_fence_line = True
                    i += 3
                    continue
                if "```".startswith(text[i:]):  # cut by the delta's end: wait for the rest
                    self._held = text[i:]
                    self.skipped += text[:i]
                    return ""
            if c in " \t\r":
                i += 1
                continue
            if c == "\n":
                self._at_line_start = True
                i += 1
                continue
            if c == "{" or c == "[":
                self.started = True
                self.skipped += text[:i]
                return text[i:]
            self._at_line_start = False
            i += 1
        self.skipped += text
        return ""
