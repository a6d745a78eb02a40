"""Iteration helpers over streams of fragments, sync and async.

They own no parsing logic: each drives a :class:`~midstream.Parser` or
:class:`~midstream.JSONLParser` (the core never does I/O; these adapters do).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Any

from .jsonl import JSONLParser, OnError
from .parser import Parser

__all__ = ["aiter_jsonl", "aiter_partial", "iter_jsonl", "iter_partial"]

Chunk = str | bytes


def iter_partial(deltas: Iterable[Chunk], **options: Any) -> Iterator[Any]:
    """Yield the partial value after each delta, then the final value if it differs.

    The yielded value is the parser's live object (see ``Parser.value``): copy it to keep it.
    A stream that ends early raises ``IncompleteJSONError`` with ``.partial``.
    """
    p = Parser(**options)
    feed = p.feed
    last: Any = None
    for delta in deltas:
        feed(delta)
        last = p.value
        yield last
    final = p.close()
    if final is not last:
        yield final


async def aiter_partial(deltas: AsyncIterable[Chunk], **options: Any) -> AsyncIterator[Any]:
    """Async twin of :func:`iter_partial`."""
    p = Parser(**options)
    feed = p.feed
    last: Any = None
    async for delta in deltas:
        feed(delta)
        last = p.value
        yield last
    final = p.close()
    if final is not last:
        yield final


def iter_jsonl(
    chunks: Iterable[Chunk], on_error: OnError = "raise", **options: Any
) -> Iterator[Any]:
    """Yield each JSONL record as soon as the chunk that completes it arrives."""
    p = JSONLParser(on_error, **options)
    for chunk in chunks:
        yield from p.feed(chunk)
    yield from p.close()


async def aiter_jsonl(
    chunks: AsyncIterable[Chunk], on_error: OnError = "raise", **options: Any
) -> AsyncIterator[Any]:
    """Async twin of :func:`iter_jsonl`."""
    p = JSONLParser(on_error, **options)
    async for chunk in chunks:
        for record in p.feed(chunk):
            yield record
    for record in p.close():
        yield record
