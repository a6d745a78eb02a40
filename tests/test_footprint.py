"""What an open parser costs a process that holds thousands of them (a gateway): its bytes, and
what the garbage collector has to do for it.

* A fresh compiled parser is at most 512 bytes, everything it owns counted.
* A parser whose input is over (``close()`` returned) is freed by reference counting as soon as
  it is dropped: it is not left in a reference cycle for the collector to find (while the input
  is open, the parser and its engine refer to each other).
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Iterator

import pytest

from midstream import Parser
from midstream.engine import available


@pytest.fixture
def no_collector() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.mark.skipif("compiled" not in available(), reason="the compiled engine is not built")
def test_a_fresh_compiled_parser_is_at_most_512_bytes() -> None:
    Parser(engine="compiled").feed("[]")  # (the engine imported and bound before counting)
    n = 1_000
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        parsers = [Parser(engine="compiled") for _ in range(n)]
        per = (tracemalloc.get_traced_memory()[0] - base) / n - 8  # (the list's slot)
    finally:
        tracemalloc.stop()
    assert len(parsers) == n
    assert per <= 512


def test_a_closed_parser_is_freed_by_reference_counting(engine: str, no_collector: None) -> None:
    p = Parser()
    for delta in ['{"a": [1, {"b": "c', '"}], "d": "e', 'f"}']:
        p.feed(delta)
    assert p.close() == {"a": [1, {"b": "c"}], "d": "ef"}
    del p
    assert gc.collect() == 0  # nothing was left for the collector


def test_after_close_feed_still_raises_and_the_parser_still_reports(engine: str) -> None:
    p = Parser()
    p.feed("[1, 2]")
    assert p.close() == [1, 2] and p.close() == [1, 2]
    assert p.closed and p.failed is None and p.engine == engine
    with pytest.raises(ValueError, match=r"feed\(\) after close\(\)") as e:
        p.feed("3")
    assert e.value.partial == [1, 2]  # type: ignore[attr-defined]
