"""A relay to the browser: a recorded LLM stream replayed at token speed, drawn as it grows.

Run it::

    pip install 'midstream[web]'
    python examples/relay_app.py            # http://127.0.0.1:8000/   (--port, --delay)
    uvicorn examples.relay_app:app          # the same app (RELAY_DELAY=0.03 sets the delay)

The stream is the package's ``data/demo_stream.jsonl``: an Anthropic structured output (a party
of three characters), replayed payload by payload with ``delay`` seconds before each text delta.
It goes through ``midstream.aupdates(..., model=...)`` and ``midstream.web.sse_response`` to the
page (``examples/static/index.html``), which reads it with the package's ES module
(``midstream.js``, served from the package by ``static_files()``) and draws the object as it
grows: finished fields marked, validated ones in green, a validation failure in red.

Routes:

``/``                     the page: two panels, the same stream under two models
``/stream?model=party``   the patch stream, validated by ``Party`` (completes)
``/stream?model=strict``  the same stream under ``StrictParty`` (no thieves: fails on "thief")
``/stream?model=none``    no model (plain JSON)
``/static/midstream.js``  the ES module, from the package
``/stats``                what each finished response sent (bytes, events, outcome, ...)

Query options of ``/stream``: ``delay`` (seconds per delta), ``interval`` (least seconds between
two events), ``ping`` (keep-alive seconds).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route

from midstream import aupdates
from midstream.cli.demo import Party, StrictParty, bundled
from midstream.web import RelayStats, sse_response, static_files

HERE = Path(__file__).resolve().parent


# The models of the bundled recording (a party of three characters), shared with
# ``midstream demo``: ``Party`` accepts it, ``StrictParty`` (no thieves) fails on "thief".
MODELS: dict[str, Any] = {"party": Party, "strict": StrictParty, "none": None}


def recorded_payloads() -> list[dict[str, Any]]:
    """The payloads of the bundled recorded stream."""
    text = bundled()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def is_delta(p: dict[str, Any]) -> bool:
    return p.get("type") == "content_block_delta"


def source_text(payloads: list[dict[str, Any]]) -> str:
    """The JSON text the stream carries (its text deltas, joined)."""
    return "".join(p["delta"]["text"] for p in payloads if is_delta(p))


class Replay:
    """The recorded payloads as an async stream, ``delay`` seconds before each delta: an
    upstream that counts what it was asked for and knows when it was closed."""

    def __init__(self, payloads: list[dict[str, Any]], delay: float) -> None:
        self.payloads = payloads
        self.delay = delay
        self.deltas = 0  # deltas handed out
        self.times: list[float] = []  # when each delta was handed out
        self.closed_at: float | None = None

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return self._run()

    async def _run(self) -> AsyncIterator[dict[str, Any]]:
        try:
            for p in self.payloads:
                if is_delta(p):
                    if self.delay:
                        await anyio.sleep(self.delay)
                    self.deltas += 1
                    self.times.append(time.monotonic())
                yield p
        finally:
            self.closed_at = time.monotonic()

    def after(self, t: float | None) -> int:
        """Deltas handed out after ``t``."""
        return 0 if t is None else sum(1 for x in self.times if x > t)


def create_app(delay: float = 0.03) -> Starlette:
    """The app; ``delay``: the default seconds per delta."""
    payloads = recorded_payloads()
    finished: list[dict[str, Any]] = []

    async def page(request: Request) -> Response:
        return FileResponse(HERE / "static" / "index.html", media_type="text/html")

    async def stream(request: Request) -> Response:
        q = request.query_params
        model = MODELS.get(q.get("model", "party"), Party)
        replay = Replay(payloads, float(q.get("delay", delay)))

        def record(stats: RelayStats) -> None:
            finished.append(
                {
                    "tag": q.get("tag", ""),
                    "model": q.get("model", "party"),
                    "outcome": stats.outcome,
                    "error": stats.error,
                    "bytes": stats.bytes,
                    "events": stats.events,
                    "ops": stats.ops,
                    "merged": stats.merged,
                    "pings": stats.pings,
                    "deltas": replay.deltas,
                    "deltas_after_disconnect": replay.after(stats.disconnected_at),
                    "upstream_closed": replay.closed_at is not None,
                    "latency_max": stats.latency_max,
                    "seconds": stats.ended - stats.started,
                }
            )

        return sse_response(
            aupdates(replay, model=model),
            interval=float(q.get("interval", 0)),
            ping=float(q.get("ping", 15)),
            on_close=record,
        )

    async def stats(request: Request) -> Response:
        return JSONResponse(finished)

    app = Starlette(
        routes=[
            Route("/", page),
            Route("/stream", stream),
            Route("/stats", stats),
            Mount("/static", app=static_files()),
        ]
    )
    app.state.finished = finished
    return app


app = create_app(float(os.environ.get("RELAY_DELAY", "0.03")))


if __name__ == "__main__":
    import argparse

    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--delay", type=float, default=0.03, help="seconds per delta")
    args = parser.parse_args()
    uvicorn.run(create_app(args.delay), host=args.host, port=args.port)
