"""midstream: parse JSON and JSONL while an LLM is still streaming it.

Layers, each a module (lower layers never import higher ones)::

    decode -> scan -> build -> parser (Parser) -> jsonl (JSONLParser), model (ModelParser, with
    plan: what pydantic can validate where) -> stream (iter helpers)

``build`` is the hot loop; installs also compile its C twin (``_cengine.c``) when they can, and
``ENGINE`` tells which one runs ("compiled" or "python"; ``MIDSTREAM_ENGINE`` chooses, see
``_engine``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .engine import ENGINE  # first: decides which engine the modules below import
from .errors import IncompleteJSONError, LimitExceededError, ParseError
from .jsonl import JSONLParser
from .parser import Parser, parse_partial
from .stream import aiter_jsonl, aiter_partial, iter_jsonl, iter_partial

__all__ = [
    "ENGINE",
    "IncompleteJSONError",
    "JSONLParser",
    "LimitExceededError",
    "ModelParser",
    "ParseError",
    "Parser",
    "StreamValidationError",
    "Validated",
    "aiter_jsonl",
    "aiter_partial",
    "iter_jsonl",
    "iter_partial",
    "parse_partial",
]

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .validation.model import ModelParser, StreamValidationError, Validated
else:

    def __getattr__(name: str) -> Any:
        # The pydantic layer is imported on first use: the core parser does not need pydantic.
        if name in ("ModelParser", "StreamValidationError", "Validated"):
            from .validation import model

            return getattr(model, name)
        raise AttributeError(f"module 'midstream' has no attribute {name!r}")
