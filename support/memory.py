"""Peak memory of a call, measured with tracemalloc (Python allocations only)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import Any


def peak(fn: Callable[[], Any]) -> int:
    """The peak of traced memory, in bytes, while ``fn()`` runs."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
