"""midstream: parse JSON and JSONL while an LLM is still streaming it.

The layers, lower ones never importing higher ones (see the README's "How it works")::

    engine/       decode -> scan -> build (the state machine; _cengine.c, its C twin)
    events        typed events with JSON paths, built only for a parser that has consumers
    parser        Parser: one value, live partial value
    jsonl         JSONLParser: records as their lines complete
    patches       patches() / Patcher: the partial value as JSON Patch operations; apply_patch
    validation/   ModelParser: pydantic, each part as it closes
    stream        iter_partial / iter_jsonl, sync and async
    cli/          the ``midstream`` command

``import midstream`` loads only what :class:`Parser` needs; the rest (orjson for JSONL, pydantic
for validation) is imported on first use.
"""

from __future__ import annotations

from .errors import (
    IncompleteJSONError,
    LimitExceededError,
    MidstreamError,
    ParseError,
    PatchError,
    StreamValidationError,
)
from .parser import Parser, parse_partial

# (loaded with the package, and light: the name ``patches`` is both the function and its module,
# and importing the module first would otherwise leave ``midstream.patches`` the module)
from .patches import Patcher, apatches, apply_patch, patches

TYPE_CHECKING = False  # (typing is not imported at run time: see engine/build.py)
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "ENGINE",
    "IncompleteJSONError",
    "JSONLParser",
    "LimitExceededError",
    "MidstreamError",
    "ModelParser",
    "ParseError",
    "Parser",
    "PatchError",
    "Patcher",
    "StreamValidationError",
    "Update",
    "Validated",
    "aiter_jsonl",
    "aiter_partial",
    "apatches",
    "apply_patch",
    "aupdates",
    "iter_jsonl",
    "iter_partial",
    "parse_partial",
    "patches",
    "updates",
]

#: The one version source (pyproject.toml reads it from here).
__version__ = "0.2.0"

#: Where each name that is not loaded with the package lives (imported on first use).
_LAZY = {
    "JSONLParser": "jsonl",
    "aiter_jsonl": "stream",
    "aiter_partial": "stream",
    "iter_jsonl": "stream",
    "iter_partial": "stream",
    "ModelParser": "validation.model",
    "Validated": "validation.model",
    "Update": "integrations.updates",
    "updates": "integrations.updates",
    "aupdates": "integrations.updates",
}

if TYPE_CHECKING:
    from .integrations.updates import Update, aupdates, updates
    from .jsonl import JSONLParser
    from .stream import aiter_jsonl, aiter_partial, iter_jsonl, iter_partial
    from .validation.model import ModelParser, Validated

    #: The engine a parser made now without ``engine=`` runs: "compiled" or "python".
    ENGINE: str
else:

    def __getattr__(name: str) -> Any:
        if name == "ENGINE":  # not a constant: MIDSTREAM_ENGINE is read when a parser is made
            from .engine import default

            return default()
        where = _LAZY.get(name)
        if where is None:
            raise AttributeError(f"module 'midstream' has no attribute {name!r}")
        from importlib import import_module

        value = getattr(import_module(f".{where}", __name__), name)
        globals()[name] = value
        return value
