"""What a streamed LLM response can arrive as, and how to read it and close it (sync and async).

:func:`~midstream.integrations.updates.updates` takes any of these; this module recognises which
and returns a :class:`Source` (or :class:`AsyncSource`): what its items are, an iterator over
them, and the calls that close the upstream when reading stops.

=================================== ===========================================================
source                              read as
=================================== ===========================================================
``bytes`` / ``str``                 one whole SSE body
an HTTP response (``httpx``,        its body, ``iter_bytes()`` / ``aiter_bytes()``; closed with
``httpx2``: has ``iter_bytes``)     ``close()`` / ``aclose()``
an OpenAI / Anthropic SDK stream    the body of its HTTP response, read directly (``.response``,
(``Stream``, ``AsyncStream``, the   or the helper's raw stream's): the SDK's own SSE decoding and
helpers' ``ChatCompletionStream``,  pydantic objects are skipped (see below). Closed with the
``MessageStream``,                  stream's ``close()``.
``ResponseStream``)
an SDK stream manager (what         entered here (``__enter__`` / ``__aenter__``), read as the
``client.messages.stream(...)``     stream it gives, exited when reading stops
returns, not yet entered)
an iterable of ``bytes`` / ``str``  SSE body chunks, split anywhere
an iterable of SSE events           their ``data`` (anything with ``.data`` and ``.event``:
                                    midstream's, httpx-sse's, the SDKs')
an iterable of mappings             the decoded payloads
an iterable of pydantic objects     the SDK's event objects, turned back into payloads
                                    (``to_dict()`` / ``model_dump(mode="json")``)
=================================== ===========================================================

An iterable's kind is told by its first item. The iterable (a generator, an SDK stream being
iterated) is closed with its ``close()`` / ``aclose()`` when it has one.

Why SDK streams are read from their response. The SDKs decode each event's JSON and build a
pydantic object from it (``construct``); turning that object back into the payload costs more
again (``benchmarks/updates.py`` measures both). The response is the same bytes, unread: when
the SDK has not begun reading it (``response.is_stream_consumed`` is false), midstream reads it
instead. A stream the caller has already begun iterating is read through its objects.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any, Literal

__all__ = [
    "AsyncSource",
    "Kind",
    "Source",
    "aclose_unopened",
    "close_unopened",
    "open_async",
    "open_sync",
    "payload_of",
]

#: What the items of a source are: SSE body chunks, SSE events, payloads, SDK event objects.
Kind = Literal["body", "events", "payloads", "objects"]

_CHUNKS = (bytes, bytearray, memoryview, str)

# Events of the SDK helpers that repeat, in another form, what the raw payloads say (OpenAI's
# ChatCompletionStream; Anthropic's MessageStream): skipped without being converted.
_HELPER_EVENTS = frozenset(
    {
        "content.delta",
        "content.done",
        "refusal.delta",
        "refusal.done",
        "tool_calls.function.arguments.delta",
        "tool_calls.function.arguments.done",
        "logprobs.content.delta",
        "logprobs.content.done",
        "logprobs.refusal.delta",
        "logprobs.refusal.done",
        "text",
        "citation",
        "thinking",
        "signature",
        "input_json",
        "compaction",
    }
)


def payload_of(obj: Any) -> Mapping[str, Any] | None:
    """The payload an SDK event object was built from (``None`` for a helper's own events)."""
    t = getattr(obj, "type", None)
    if t == "chunk":  # openai ChatCompletionStream: ChunkEvent(chunk=ChatCompletionChunk, ...)
        obj = obj.chunk
    elif t in _HELPER_EVENTS:
        return None
    to_dict = getattr(obj, "to_dict", None)
    if to_dict is not None:  # the SDKs' BaseModel: the API's names, fields the API sent
        d: Mapping[str, Any] = to_dict(mode="json")
        return d
    d = obj.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return d


def _is_response(r: Any) -> bool:
    return hasattr(r, "is_stream_consumed") and (
        hasattr(r, "iter_bytes") or hasattr(r, "aiter_bytes")
    )


def _is_async(r: Any) -> bool:
    """An async HTTP response (httpx's: its byte stream is async-iterable)."""
    stream = getattr(r, "stream", None)
    return hasattr(stream, "__aiter__") and not hasattr(stream, "__iter__")


def _sdk_response(src: Any) -> Any:
    """The HTTP response under an SDK stream (or helper), if it has not been read yet."""
    r = getattr(src, "response", None)
    if not _is_response(r):
        r = getattr(getattr(src, "_raw_stream", None), "response", None)
        if not _is_response(r):
            return None
    return None if r is None or r.is_stream_consumed else r


class Source:
    """A sync source: ``items`` of ``kind``; ``close()`` closes everything that was opened."""

    __slots__ = ("_closers", "items", "kind")

    def __init__(self, kind: Kind, items: Iterator[Any], closers: list[Callable[[], Any]]):
        self.kind = kind
        self.items = items
        self._closers = closers

    def close(self) -> None:
        """Close the upstream: the iterator, the stream or response, the manager (in that
        order). Every closer is called even if one fails; the first failure is raised."""
        closers, self._closers = self._closers, []
        error: BaseException | None = None
        for close in closers:
            try:
                close()
            except Exception as e:  # keep closing the rest
                error = error or e
        if error is not None:
            raise error


def open_sync(source: Any) -> Source:
    """Recognise ``source`` (see the module docstring) and open it for reading."""
    closers: list[Callable[[], Any]] = []
    try:
        return _open_sync(source, closers)
    except BaseException:
        Source("body", iter(()), closers).close()
        raise


def _open_sync(source: Any, closers: list[Callable[[], Any]]) -> Source:
    if isinstance(source, _CHUNKS):
        return Source("body", iter((source,)), closers)
    if isinstance(source, Mapping):
        raise TypeError("updates() takes an iterable of payloads, not one payload")
    if _is_response(source) and hasattr(source, "iter_bytes"):  # an HTTP response
        if _is_async(source):
            raise TypeError("an async HTTP response: read it with aupdates()")
        if source.is_stream_consumed:
            raise ValueError("the response's body has already been read")
        closers.insert(0, source.close)
        return _body(source.iter_bytes(), closers)
    if hasattr(source, "__aiter__") and not hasattr(source, "__iter__"):
        raise TypeError(f"an async source ({type(source).__name__}): read it with aupdates()")
    r = _sdk_response(source)
    if r is not None and hasattr(r, "iter_bytes") and not _is_async(r):  # an SDK stream
        closers.insert(0, source.close if hasattr(source, "close") else r.close)
        return _body(r.iter_bytes(), closers)
    if not hasattr(source, "__iter__") and hasattr(source, "__enter__"):
        # an SDK stream manager (client.messages.stream(...)): enter it, exit it at the end
        entered = source.__enter__()
        closers.insert(0, lambda: source.__exit__(None, None, None))
        return _open_sync(entered, closers)
    if not hasattr(source, "__iter__"):
        raise TypeError(
            f"updates() reads an SDK stream, an HTTP response, SSE bytes or text, or an "
            f"iterable of payloads or events, not {type(source).__name__}"
        )
    close = getattr(source, "close", None)
    if callable(close):
        closers.insert(0, close)
    it = iter(source)
    if it is not source:
        close = getattr(it, "close", None)
        if callable(close):
            closers.insert(0, close)
    for first in it:
        return Source(_kind(first), itertools.chain((first,), it), closers)
    return Source("payloads", iter(()), closers)


def close_unopened(source: Any) -> None:
    """Close a source that was never opened: a stream, response or iterator that has
    ``close()`` (a manager that was never entered holds nothing open)."""
    if (
        hasattr(source, "__enter__")
        and not hasattr(source, "__iter__")
        and not _is_response(source)
    ):
        return
    close = getattr(source, "close", None)
    if callable(close):
        close()


def _body(chunks: Iterator[Any], closers: list[Callable[[], Any]]) -> Source:
    close = getattr(chunks, "close", None)
    if callable(close):
        closers.insert(0, close)
    return Source("body", chunks, closers)


def _kind(item: Any) -> Kind:
    if isinstance(item, _CHUNKS):
        return "body"
    if isinstance(item, Mapping):
        return "payloads"
    if isinstance(getattr(item, "data", None), str) and hasattr(item, "event"):
        return "events"
    if hasattr(item, "model_dump"):
        return "objects"
    raise TypeError(
        f"updates() reads iterables of bytes, str, payload mappings, SSE events or SDK event "
        f"objects, not of {type(item).__name__}"
    )


# -- async -----------------------------------------------------------------------------------


class AsyncSource:
    """An async source: ``items`` of ``kind``; ``await aclose()`` closes what was opened."""

    __slots__ = ("_closers", "items", "kind")

    def __init__(
        self, kind: Kind, items: AsyncIterator[Any], closers: list[Callable[[], Any]]
    ) -> None:
        self.kind = kind
        self.items = items
        self._closers = closers

    async def aclose(self) -> None:
        """Close the upstream (awaiting each closer that is a coroutine function)."""
        closers, self._closers = self._closers, []
        error: BaseException | None = None
        for close in closers:
            try:
                result = close()
                if inspect.isawaitable(result):
                    await result
            except Exception as e:
                error = error or e
        if error is not None:
            raise error


def _async_closer(obj: Any) -> Callable[[], Any] | None:
    close = getattr(obj, "aclose", None)
    if not callable(close):
        close = getattr(obj, "close", None)
    return close if callable(close) else None


async def _over(items: Any) -> AsyncIterator[Any]:
    for item in items:
        yield item


async def _chain(first: Any, rest: AsyncIterator[Any]) -> AsyncIterator[Any]:
    yield first
    async for item in rest:
        yield item


async def open_async(source: Any) -> AsyncSource:
    """The async twin of :func:`open_sync` (also takes the sync sources)."""
    closers: list[Callable[[], Any]] = []
    try:
        return await _open_async(source, closers)
    except BaseException:
        await AsyncSource("body", _over(()), closers).aclose()
        raise


async def _open_async(source: Any, closers: list[Callable[[], Any]]) -> AsyncSource:
    if isinstance(source, _CHUNKS):
        return AsyncSource("body", _over((source,)), closers)
    if isinstance(source, Mapping):
        raise TypeError("aupdates() takes an iterable of payloads, not one payload")
    if _is_response(source) and not _is_async(source):  # a sync response: read it as it is
        s = open_sync(source)
        closers.insert(0, s.close)
        return AsyncSource(s.kind, _over(s.items), closers)
    if _is_response(source) and hasattr(source, "aiter_bytes"):
        if source.is_stream_consumed:
            raise ValueError("the response's body has already been read")
        close = _async_closer(source)
        if close is not None:
            closers.insert(0, close)
        return _abody(source.aiter_bytes(), closers)
    r = _sdk_response(source)
    if r is not None and _is_async(r) and hasattr(source, "__aiter__"):
        close = _async_closer(source) or _async_closer(r)
        if close is not None:
            closers.insert(0, close)
        return _abody(r.aiter_bytes(), closers)
    if not hasattr(source, "__aiter__") and hasattr(source, "__aenter__"):
        entered = await source.__aenter__()
        closers.insert(0, lambda: source.__aexit__(None, None, None))
        return await _open_async(entered, closers)
    if not hasattr(source, "__aiter__"):
        if hasattr(source, "__iter__") or hasattr(source, "__enter__"):
            s = open_sync(source)  # a sync source: read it as it is
            closers.insert(0, s.close)
            return AsyncSource(s.kind, _over(s.items), closers)
        raise TypeError(
            f"aupdates() reads an async SDK stream, an HTTP response, SSE bytes or text, or an "
            f"async iterable of payloads or events, not {type(source).__name__}"
        )
    close = _async_closer(source)
    if close is not None:
        closers.insert(0, close)
    it = source.__aiter__()
    if it is not source:
        close = _async_closer(it)
        if close is not None:
            closers.insert(0, close)
    try:
        first = await it.__anext__()
    except StopAsyncIteration:
        return AsyncSource("payloads", _over(()), closers)
    return AsyncSource(_kind(first), _chain(first, it), closers)


def _abody(chunks: AsyncIterator[Any], closers: list[Callable[[], Any]]) -> AsyncSource:
    close = _async_closer(chunks)
    if close is not None:
        closers.insert(0, close)
    return AsyncSource("body", chunks, closers)


async def aclose_unopened(source: Any) -> None:
    """The async twin of :func:`close_unopened`."""
    if (
        hasattr(source, "__aenter__")
        and not hasattr(source, "__aiter__")
        and not _is_response(source)
    ):
        return
    close = _async_closer(source)
    if close is not None:
        result = close()
        if inspect.isawaitable(result):
            await result
