"""midstream.web: a streamed LLM response to the browser in O(delta), for Starlette and FastAPI.

::

    from midstream import aupdates
    from midstream.web import sse_response, static_files

    @app.get("/extract")                      # FastAPI, or a Starlette Route
    async def extract():
        stream = await client.messages.create(..., stream=True)
        return sse_response(aupdates(stream, model=Party))

    app.mount("/static", static_files())      # serves midstream.js, the browser's side

In the page: ``streamPatches("/extract", {onUpdate(doc, ops) {...}})`` (``midstream.js``).

The parts, each a module with one job (README, "The server"):

=========  ===============================================================================
diff       :class:`ValuePatcher`: patch operations from a growing partial value (sans-I/O)
outbox     :class:`Outbox`: what waits for one client, merged, bounded in bytes (sans-I/O)
stream     :class:`PatchStream`: a source's items to operations; the SSE frames (sans-I/O)
relay      :func:`sse_response` / :class:`PatchStreamResponse`: the ASGI response (I/O)
=========  ===============================================================================

Only ``relay`` needs Starlette (``pip install midstream[web]``), imported when first used: the
others are plain Python (``PatchStream`` gives the operations of an ``updates()`` stream to a
server of any kind).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .diff import ValuePatcher
from .outbox import Outbox
from .stream import PatchStream, error_info

if TYPE_CHECKING:
    from .relay import PatchStreamResponse, RelayStats, sse_response

__all__ = [
    "Outbox",
    "PatchStream",
    "PatchStreamResponse",
    "RelayStats",
    "ValuePatcher",
    "error_info",
    "sse_response",
    "static_files",
]


def static_files() -> Any:
    """A Starlette ``StaticFiles`` app serving the package's browser files (``midstream.js``,
    ``midstream.d.ts``): mount it, ``app.mount("/static", static_files())``."""
    from starlette.staticfiles import StaticFiles

    return StaticFiles(packages=[("midstream", "static")])


def __getattr__(name: str) -> Any:
    """The relay's names, imported (with Starlette) when first used."""
    if name in ("PatchStreamResponse", "RelayStats", "sse_response"):
        from . import relay

        return getattr(relay, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
