"""The relay: one upstream LLM stream to one browser, as a Starlette (and FastAPI) response.

:class:`PatchStreamResponse` is an ASGI response. Three tasks run while it streams:

* the **producer** reads the source (an async iterator directly; a sync one in a worker thread,
  one ``next()`` at a time), turns each item into operations (:class:`PatchStream`) and queues
  them in the client's :class:`~midstream.web.outbox.Outbox`, where they merge while the
  client is busy; it stops at the end of the document, at an error, or when the outbox holds
  more than ``max_buffer`` bytes (the client is dropped);
* the **writer** (the response's own task) sends what waits, as one event, whenever the client
  can take it (``send()`` waits for the socket: a slow client means larger, fewer events), no
  more often than ``interval``, a ``: ping`` comment after ``ping`` seconds of silence, then
  ``done`` or ``error``;
* the **listener** waits for ``http.disconnect``: the browser left, so everything stops.

Whenever the producer stops before the end of its source (the browser left, an error, a
dropped client) the upstream is closed: its ``aclose()`` / ``close()`` (``Updates.close()``
closes the SDK stream, so the provider stops generating). An async source is interrupted where
it waits; a sync one finishes the ``next()`` under way (at most one more item) and is closed in
the worker thread. The closing is shielded from the cancellation and bounded by
``close_timeout``.

Memory per stream: the source's own state (the parser), the :class:`ValuePatcher` spine, and
the outbox (bounded by ``max_buffer``); nothing is kept per event unless ``measure=True``.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.to_thread
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ..errors import MidstreamError
from .outbox import Outbox
from .stream import FORMAT_VERSION, PING, PatchStream, error_info, frame, patch_frame

__all__ = ["PatchStreamResponse", "RelayStats", "sse_response"]

logger = logging.getLogger("midstream.web")

_END = object()


@dataclass
class RelayStats:
    """What one response did (``PatchStreamResponse.stats``; given to ``on_close``)."""

    #: Body bytes written (every event, ping and the start and end events).
    bytes: int = 0
    #: Patch events written, and the operations in them.
    events: int = 0
    ops: int = 0
    #: Operations merged into one already waiting (a slow client, or ``interval``).
    merged: int = 0
    #: Keep-alive comments written.
    pings: int = 0
    #: Items read from the source.
    items: int = 0
    #: The most bytes that waited for the client.
    peak_buffer: int = 0
    #: How it ended: ``"done"``, ``"error"`` (an error event was sent), ``"dropped"`` (the client
    #: read too slowly), ``"disconnected"`` (the client left).
    outcome: str = ""
    #: The type of the error sent in the error event, if any.
    error: str | None = None
    #: Whether the upstream was closed before its end (the relay stopped reading it early).
    upstream_closed: bool = False
    #: Seconds from an operation being queued to its event having been written (the relay's own
    #: delay: queueing, merging, ``interval``, the socket): the largest, and the sum over events.
    latency_max: float = 0.0
    latency_sum: float = 0.0
    #: Each event's latency, with ``measure=True``.
    latencies: list[float] | None = None
    #: ``time.monotonic()`` at the start and at the end of the response.
    started: float = 0.0
    ended: float = 0.0
    #: Timestamps of the upstream's close and of the client's disconnect, when they happened.
    closed_at: float | None = None
    disconnected_at: float | None = None


class _Shared:
    """What the tasks of one response share."""

    __slots__ = (
        "final",
        "first_put",
        "last_write",
        "new_event",
        "outcome",
        "ping_due",
        "waiting",
        "writer_done",
    )

    def __init__(self) -> None:
        self.waiting: anyio.Event | None = None  # set while the writer waits for something to do
        self.writer_done = anyio.Event()
        # (the running backend's Event class: anyio.Event() looks the backend up each time,
        # ~7 µs, a third of what the relay costs per event)
        self.new_event: Callable[[], anyio.Event] = type(self.writer_done)
        self.final: bytes | None = None  # the done or error event, once the producer stopped
        self.first_put = 0.0  # when the oldest waiting operation was queued
        self.last_write = 0.0  # when the writer last wrote
        self.ping_due = False
        self.outcome = ""

    def wake(self) -> None:
        """Tell the writer there is something to do."""
        w = self.waiting
        if w is not None:
            self.waiting = None
            w.set()


def _is_async(source: Any) -> bool:
    return hasattr(source, "__aiter__")


class PatchStreamResponse(Response):
    """A ``text/event-stream`` response relaying ``source`` as patch events (see the module
    docstring and :func:`sse_response`, which documents the options)."""

    media_type = "text/event-stream"

    def __init__(
        self,
        source: Any,
        *,
        channel: Callable[[Any], bool] | None = None,
        marks: bool = True,
        interval: float = 0.0,
        ping: float | None = 15.0,
        max_buffer: int = 1 << 20,
        start: Mapping[str, Any] | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        on_close: Callable[[RelayStats], Any] | None = None,
        measure: bool = False,
        thread_limiter: anyio.CapacityLimiter | None = None,
        close_timeout: float = 5.0,
        drop_timeout: float = 5.0,
        **parser_options: Any,
    ) -> None:
        if interval < 0 or (ping is not None and ping <= 0) or max_buffer <= 0:
            raise ValueError("interval >= 0, ping > 0 (or None) and max_buffer > 0")
        self.source = source
        self.channel = channel
        self.marks = marks
        self.interval = interval
        self.ping = ping
        self.max_buffer = max_buffer
        self.start = dict(start or {})
        self.on_close = on_close
        self.thread_limiter = thread_limiter
        self.close_timeout = close_timeout
        self.drop_timeout = drop_timeout
        self.parser_options = parser_options
        self.status_code = status_code
        self.background = None
        merged = {"cache-control": "no-cache", "x-accel-buffering": "no"}
        merged.update(headers or {})
        self.init_headers(merged)
        #: What this response did (filled in as it streams).
        self.stats = RelayStats(latencies=[] if measure else None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        stats = self.stats
        stats.started = time.monotonic()
        shared = _Shared()
        shared.last_write = stats.started
        box = Outbox(self.max_buffer)
        stream = PatchStream(marks=self.marks, channel=self.channel, **self.parser_options)
        try:
            try:
                await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            except OSError:  # gone before the first byte: the upstream is still closed
                shared.outcome = "disconnected"
                await self._close_source(self.source, None)
                return
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._listen, receive, tg.cancel_scope, shared)
                tg.start_soon(self._produce, stream, box, shared, tg.cancel_scope)
                if self.ping is not None:
                    tg.start_soon(self._pinger, shared)
                await self._writer(send, box, shared)
                tg.cancel_scope.cancel()
        finally:
            stats.outcome = stats.outcome or shared.outcome or "disconnected"
            stats.merged = box.merged
            stats.peak_buffer = box.peak
            stats.ended = time.monotonic()
            if self.on_close is not None:
                try:
                    self.on_close(stats)
                except Exception:
                    logger.exception("on_close failed")

    # -- the writer --------------------------------------------------------------------------

    async def _write(self, send: Send, data: bytes) -> bool:
        """Send ``data``; ``False`` when the client has gone."""
        try:
            await send({"type": "http.response.body", "body": data, "more_body": True})
        except OSError:  # (uvicorn's ClientDisconnected; Starlette's spec >= 2.4 behaviour)
            return False
        self.stats.bytes += len(data)
        return True

    async def _writer(self, send: Send, box: Outbox, shared: _Shared) -> None:
        stats = self.stats
        interval = self.interval
        latencies = stats.latencies
        try:
            # the start event at once (the headers and a first byte reach the browser before the
            # upstream's first token); the producer is reading meanwhile
            if not await self._write(send, frame("start", {"v": FORMAT_VERSION, **self.start})):
                shared.outcome = "disconnected"
                return
            last_event = shared.last_write = time.monotonic()
            while True:
                if not box and shared.final is None:
                    if shared.ping_due:  # silence: keep the connection alive
                        shared.ping_due = False
                        if not await self._write(send, PING):
                            shared.outcome = "disconnected"
                            return
                        stats.pings += 1
                        shared.last_write = time.monotonic()
                        continue
                    waiting = shared.waiting = shared.new_event()
                    await waiting.wait()
                    continue
                if box and interval and shared.final is None:
                    wait = last_event + interval - time.monotonic()
                    if wait > 0:
                        await anyio.sleep(wait)  # (more operations merge meanwhile)
                if box:
                    first = shared.first_put
                    ops = box.take()
                    if not await self._write(send, patch_frame(ops)):
                        shared.outcome = "disconnected"
                        return
                    last_event = shared.last_write = time.monotonic()
                    stats.events += 1
                    stats.ops += len(ops)
                    delay = last_event - first
                    stats.latency_sum += delay
                    if delay > stats.latency_max:
                        stats.latency_max = delay
                    if latencies is not None:
                        latencies.append(delay)
                    continue
                if shared.final is not None:
                    if await self._write(send, shared.final):
                        with contextlib.suppress(OSError):
                            await send({"type": "http.response.body", "body": b"", "more_body": False})
                    else:
                        shared.outcome = "disconnected"
                    return
        finally:
            shared.writer_done.set()

    async def _pinger(self, shared: _Shared) -> None:
        """Wake the writer for a ``: ping`` after ``ping`` seconds without a write (one timer
        per ping period, not one per event)."""
        ping = self.ping
        assert ping is not None
        while True:
            await anyio.sleep(max(shared.last_write + ping - time.monotonic(), 0.0))
            if time.monotonic() - shared.last_write >= ping:
                shared.ping_due = True
                shared.wake()
                await anyio.sleep(ping)  # (the writer may be stuck on a slow client)

    # -- the listener ------------------------------------------------------------------------

    async def _listen(self, receive: Receive, scope: anyio.CancelScope, shared: _Shared) -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.stats.disconnected_at = time.monotonic()
                if not shared.outcome:
                    shared.outcome = "disconnected"
                scope.cancel()
                return

    # -- the producer ------------------------------------------------------------------------

    async def _produce(
        self, stream: PatchStream, box: Outbox, shared: _Shared, scope: anyio.CancelScope
    ) -> None:
        source = self.source
        stats = self.stats
        it: Any = None
        ended = False  # the source ran out by itself
        try:
            if _is_async(source):
                it = source.__aiter__()
                anext = it.__anext__
                while True:
                    try:
                        item = await anext()
                    except StopAsyncIteration:
                        ended = True
                        break
                    stats.items += 1
                    if not self._queue(stream.feed(item), box, shared):
                        break
                    if stream.complete:
                        break
                    if box.size > 65536:
                        await anyio.lowlevel.checkpoint()  # (let the writer take it)
            else:
                it = iter(source)
                limiter = self.thread_limiter

                def step() -> Any:
                    return next(it, _END)

                while True:
                    item = await anyio.to_thread.run_sync(step, limiter=limiter)
                    if item is _END:
                        ended = True
                        break
                    stats.items += 1
                    if not self._queue(stream.feed(item), box, shared):
                        break
                    if stream.complete:
                        break
            if shared.final is None:  # (not dropped)
                if ended:
                    self._queue(stream.close(), box, shared)
                if shared.final is None:
                    done: dict[str, Any] = {}
                    if stream.stop_reason is not None:
                        done["stop_reason"] = stream.stop_reason
                    shared.final = frame("done", done)
                    shared.outcome = "done"
        except MidstreamError as e:
            self._queue(stream.failed(e), box, shared)
            self._fail(e, stream, shared)
        except Exception as e:
            logger.exception("the relay's upstream failed")
            self._fail(e, stream, shared)
        finally:
            shared.wake()
            if not ended:
                await self._close_source(source, it)
        if shared.outcome == "dropped":  # the writer may be stuck on a client that reads nothing
            with anyio.move_on_after(self.drop_timeout):
                await shared.writer_done.wait()
            scope.cancel()

    def _fail(self, e: BaseException, stream: PatchStream, shared: _Shared) -> None:
        if shared.final is not None:
            return
        info = error_info(e, stream.open_pointer)
        self.stats.error = info["type"]
        shared.final = frame("error", info)
        shared.outcome = "error"

    def _queue(self, ops: list[dict[str, Any]], box: Outbox, shared: _Shared) -> bool:
        """Queue ``ops`` for the writer; ``False`` when the client is dropped (too much waits)."""
        if not ops:
            return True
        if not box:
            shared.first_put = time.monotonic()
        if box.put(ops):
            shared.wake()
            return True
        peak = box.size
        box.clear()
        shared.final = frame(
            "error",
            {
                "type": "SlowClient",
                "message": f"the client read too slowly: {peak} bytes waited for it "
                f"(the limit is {box.limit})",
                "path": None,
            },
        )
        self.stats.error = "SlowClient"
        shared.outcome = "dropped"
        shared.wake()
        return False

    async def _close_source(self, source: Any, it: Any) -> None:
        """Close the upstream (shielded, bounded): the iterator, then the source."""
        stats = self.stats
        with anyio.move_on_after(self.close_timeout, shield=True):
            try:
                for obj in (it, source) if it is not source else (source,):
                    if obj is None:
                        continue
                    aclose = getattr(obj, "aclose", None)
                    if aclose is not None:
                        await aclose()
                        continue
                    close = getattr(obj, "close", None)
                    if close is not None:
                        await anyio.to_thread.run_sync(close, limiter=self.thread_limiter)
                stats.upstream_closed = True
                stats.closed_at = time.monotonic()
            except Exception:
                logger.exception("closing the relay's upstream failed")


def sse_response(
    source: Any,
    *,
    channel: Callable[[Any], bool] | None = None,
    marks: bool = True,
    interval: float = 0.0,
    ping: float | None = 15.0,
    max_buffer: int = 1 << 20,
    start: Mapping[str, Any] | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    on_close: Callable[[RelayStats], Any] | None = None,
    measure: bool = False,
    thread_limiter: anyio.CapacityLimiter | None = None,
    close_timeout: float = 5.0,
    drop_timeout: float = 5.0,
    **parser_options: Any,
) -> PatchStreamResponse:
    """A ``text/event-stream`` response that relays ``source`` to the browser as patches.

    ``source``: what :func:`midstream.updates` / :func:`midstream.aupdates` return (or any
    iterable of their ``Update`` objects), JSON text as ``str`` / ``bytes`` deltas, or lists of
    patch operations (``midstream.patches()``); sync or async. A sync source is read in a worker
    thread (anyio's, ``thread_limiter``), one ``next()`` at a time.

    The events (README, "The server"): ``event: start`` at once; unnamed patch events (data: a list
    of operations, README, "Patches"); ``: ping`` after ``ping`` seconds without a write;
    ``event: done`` (data: ``{"stop_reason": ...}`` when the provider gave one) when the document
    is complete, or ``event: error`` (data: ``{"type", "message", "path", ...}``) for a malformed
    stream, a cut one (``IncompleteStreamError``, with ``stop_reason``), a validation failure
    (``StreamValidationError``, with pydantic's ``errors``), an upstream failure (its type only)
    or a client too slow (``SlowClient``).

    ``channel``: which channel of an ``updates()`` stream (a predicate on its ``Channel``;
    default: the first whose value begins). ``marks``: ``done`` operations (``"valid": true``
    for parts a model validated). ``interval``: the least seconds between two patch events
    (operations queued meanwhile merge: fewer bytes, that much more latency). ``max_buffer``:
    the bytes that may wait for a slow client before it is dropped (an error event, then the
    connection is closed after ``drop_timeout`` seconds at most). ``start``: more members for
    the start event's data. ``on_close(stats)``: called with the :class:`RelayStats` at the end;
    ``measure=True`` keeps every event's latency in them. ``parser_options`` go to the
    :class:`~midstream.Parser` of a text source.

    The upstream is closed (``aclose()`` / ``close()``) whenever the relay stops reading it
    before its end: the browser left, the document is complete (the provider's remaining
    events are not waited for), an error, a dropped client.
    """
    return PatchStreamResponse(
        source,
        channel=channel,
        marks=marks,
        interval=interval,
        ping=ping,
        max_buffer=max_buffer,
        start=start,
        status_code=status_code,
        headers=headers,
        on_close=on_close,
        measure=measure,
        thread_limiter=thread_limiter,
        close_timeout=close_timeout,
        drop_timeout=drop_timeout,
        **parser_options,
    )
