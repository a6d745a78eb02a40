"""Scenario 2: the final value from deltas, no partial value read (events only).

midstream (str and bytes deltas) against ijson's push interface (``items_coro``, both the
yajl2_c and the pure-Python backend, ``use_float=True`` so values compare equal), json-stream
(its default tokenizer, named in the table), jsontap (``await jsontap(deltas)``: the root node
resolves when the document is complete; ijson's push parser under it, each event through
asyncio; its numbers with a fraction are ``Decimal``, so its final value differs), and the floor:
``orjson.loads`` / ``json.loads`` once on the whole text.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

from midstream import Parser


class Sink:
    """The target of an ijson coroutine: collects what it sends."""

    def __init__(self, items: list[Any]) -> None:
        self.items = items

    def send(self, value: Any) -> None:
        self.items.append(value)


def feed_all(ds: list[Any]) -> Any:
    """midstream fed every delta, no partial value read: the final value."""
    p = Parser()
    feed = p.feed
    for d in ds:
        feed(d)
    return p.close()


def runners(text: str, ds: list[str], peers: bool = True) -> dict[str, Callable[[], Any]]:
    """midstream's runs on ``ds`` and, with ``peers``, the peers' and the floor's."""
    bds = [d.encode() for d in ds]
    whole = text.encode()
    out: dict[str, Callable[[], Any]] = {
        "midstream (str deltas)": lambda: feed_all(ds),
        "midstream (bytes deltas)": lambda: feed_all(bds),
    }
    if not peers:
        return out
    out["orjson.loads once (the floor)"] = lambda: orjson.loads(whole)
    out["json.loads once"] = lambda: json.loads(text)
    try:
        import ijson

        for backend in ("yajl2_c", "python"):
            try:
                be = ijson.get_backend(backend)
            except Exception:  # a backend that is not built here
                continue

            def run(be: Any = be) -> Any:
                items: list[Any] = []
                coro = be.items_coro(Sink(items), "", use_float=True)
                for b in bds:
                    coro.send(b)
                coro.close()
                return items[0]

            out[f"ijson items_coro ({backend})"] = run
    except ImportError:
        pass
    try:
        import json_stream

        tokenizer = getattr(json_stream.load, "__defaults__", (None, None))[1]
        name = getattr(tokenizer, "__name__", "default")

        def run_json_stream() -> Any:
            return json_stream.to_standard_types(json_stream.load(iter(bds)))

        out[f"json-stream ({name})"] = run_json_stream
    except ImportError:
        pass
    try:
        import asyncio

        from jsontap import jsontap

        async def chunks() -> Any:
            for d in ds:
                yield d

        async def root() -> Any:
            return await jsontap(chunks())

        out["jsontap (await the root, incremental)"] = lambda: asyncio.run(root())
    except ImportError:
        pass
    return out
