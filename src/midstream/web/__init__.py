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

Only ``relay`` needs Starlette (``pip install midstream[web]``); the others are plain Python.
"""

from __future__ import annotations

from typing import Any

from .diff import ValuePatcher
from .outbox import Outbox
from .relay import PatchStreamResponse, RelayStats, sse_response
from .stream import PatchStream, error_info

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
