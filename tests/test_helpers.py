"""iter_partial / iter_jsonl and their async twins."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Iterable
from typing import Any

import pytest

from midstream import IncompleteJSONError, aiter_jsonl, aiter_partial, iter_jsonl, iter_partial


async def agen(items: Iterable[Any]) -> AsyncIterator[Any]:
    for x in items:
        await asyncio.sleep(0)
        yield x


DELTAS = ['{"a": [1', ", 2], ", '"b": "he', 'llo"}']
SNAPS = [{"a": []}, {"a": [1, 2]}, {"a": [1, 2], "b": "he"}, {"a": [1, 2], "b": "hello"}]


def test_iter_partial() -> None:
    assert [copy.deepcopy(v) for v in iter_partial(DELTAS)] == SNAPS
    assert list(iter_partial(["1", "2"])) == [None, None, 12]  # the final value comes at the end
    with pytest.raises(IncompleteJSONError) as info:
        list(iter_partial(['{"a": "x']))
    assert info.value.partial == {"a": "x"}


def test_aiter_partial() -> None:
    async def collect() -> list[Any]:
        return [copy.deepcopy(v) async for v in aiter_partial(agen(DELTAS))]

    assert asyncio.run(collect()) == SNAPS


def test_iter_jsonl_and_async() -> None:
    chunks = ['{"a"', ": 1}\n[2", "]\n3"]
    assert list(iter_jsonl(chunks)) == [{"a": 1}, [2], 3]

    async def collect() -> list[Any]:
        return [r async for r in aiter_jsonl(agen([c.encode() for c in chunks]))]

    assert asyncio.run(collect()) == [{"a": 1}, [2], 3]
    assert list(iter_jsonl(["1\nx\n2\n"], on_error="skip")) == [1, 2]
