"""Lexical layer: the token patterns and the conversions of finished tokens.

Everything here is stateless and runs in C where it can (compiled ``re`` patterns, ``int``,
``float``, ``str.translate``). The resumable state machine that applies these patterns to
arbitrary fragments lives in :mod:`midstream.engine.build`; it inlines the hot paths for speed.
"""

from __future__ import annotations

import re
from json import JSONDecoder
from json.scanner import make_scanner

TYPE_CHECKING = False  # (typing is not imported at run time: see build.py)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Final

    #: A matcher whose pattern can match the empty string, so it never returns None.
    AlwaysMatch = Callable[[str, int], "re.Match[str]"]

#: JSON whitespace (RFC 8259 ``ws``); anything else, NBSP or a BOM included, is an error.
WS: Final = " \t\n\r"
skip_ws: AlwaysMatch = re.compile(r"[ \t\n\r]*").match  # type: ignore[assignment]

#: A run of string characters that need no decoding (no quote, backslash or control character).
plain_run: AlwaysMatch = re.compile(r'[^"\\\x00-\x1f]*').match  # type: ignore[assignment]
#: A string from its opening quote: group 1 is the plain text, then the closing quote if it is
#: there (the string is complete when the match ends with a quote beyond the opening one).
string_start: AlwaysMatch = re.compile(r'"([^"\\\x00-\x1f]*)"?').match  # type: ignore[assignment]
#: A whole key without escapes and, when it is already there, its colon (group 2).
key_colon = re.compile(r'"([^"\\\x00-\x1f]*)"[ \t\n\r]*(:[ \t\n\r]*)?').match

#: The characters a number token can be made of; the token ends at the first other one.
number_chars: AlwaysMatch = re.compile(r"[-+0-9.eE]*").match  # type: ignore[assignment]
#: What may follow a number token: anything but another number character.
NUMBER_CHARS: Final = "-+0123456789.eE"
DIGITS: Final = "0123456789"
#: The RFC 8259 number grammar, whole: tells a complete number ("12", "1.5e3") from a cut one
#: ("-", "1.", "1e+").
is_number = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?").fullmatch
#: The longest start of a number token that can still become a number ("-", "1.", "1e+" and
#: every whole number): the token's first character past it is where it went wrong ("00" at
#: its second character, "1.2.3" at its second "."). (The grammar is deterministic, so the
#: greedy match is the longest one.)
number_prefix: AlwaysMatch = re.compile(  # type: ignore[assignment]
    r"-?(?:(?:0|[1-9][0-9]*)(?:\.(?:[0-9]+(?:[eE][-+]?[0-9]*)?)?|[eE][-+]?[0-9]*)?)?"
).match

#: ``scan_number(text, i) -> (value, end)``: the standard library's C scanner, so numbers get
#: exactly ``json.loads``' values (int or float, -0.0, 1e400 -> inf). It reads the longest
#: RFC 8259 number at ``i``; callers check what follows, and never call it on "-" followed by
#: a non-digit (it would read "-Infinity").
scan_number: Callable[[str, int], tuple[int | float, int]] = make_scanner(JSONDecoder())  # type: ignore[arg-type]

#: The hex digits of a ``\\uXXXX`` escape: ``len(h) == 4 and not h.strip(HEX)`` tells four of
#: them, and ``not h.strip(HEX)`` alone a cut escape that may still complete (one C call each;
#: cheaper than a regex call, and ``int(h, 16)`` alone would take "0x1f").
HEX: Final = "0123456789abcdefABCDEF"

ESCAPES: Final = {
    '"': '"',
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}

#: Literal text -> value. Keyed by first character for the dispatcher.
LITERALS: Final = {"t": ("true", True), "f": ("false", False), "n": ("null", None)}
