"""partialjson: parse JSON and JSONL while an LLM is still streaming it.

Layers, each a module (lower layers never import higher ones)::

    decode  -> scan  -> build  -> parser (Parser) / jsonl (JSONLParser) -> stream (iter helpers)
"""

from __future__ import annotations

from .errors import IncompleteJSONError, LimitExceededError, ParseError
from .jsonl import JSONLParser
from .parser import Parser, parse_partial
from .stream import aiter_jsonl, aiter_partial, iter_jsonl, iter_partial

__all__ = [
    "IncompleteJSONError",
    "JSONLParser",
    "LimitExceededError",
    "ParseError",
    "Parser",
    "aiter_jsonl",
    "aiter_partial",
    "iter_jsonl",
    "iter_partial",
    "parse_partial",
]

__version__ = "0.1.0"
