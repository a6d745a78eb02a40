"""Hypothesis strategies: JSON documents, their serialisations, and split points."""

from __future__ import annotations

import itertools
import json
from typing import Any

from hypothesis import strategies as st

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
    | st.text(alphabet=st.sampled_from('ab"\\/\b\f\n\r\t\x00\x1f é😀\u2028'))
)

json_values = st.recursive(
    scalars,
    lambda kids: (
        st.lists(kids, max_size=6) | st.dictionaries(st.text(max_size=8), kids, max_size=6)
    ),
    max_leaves=40,
)


@st.composite
def documents(draw: st.DrawFn) -> str:
    """A JSON text of a random value, in a random layout (compact, spaced, indented, ASCII-only)."""
    value = draw(json_values)
    indent = draw(st.sampled_from([None, None, 0, 2, "\t"]))
    separators = draw(st.sampled_from([(",", ":"), (", ", ": "), (" , ", " : ")]))
    text = json.dumps(value, ensure_ascii=draw(st.booleans()), indent=indent, separators=separators)
    pad = draw(st.sampled_from(["", " ", "\n", "\r\n\t "]))
    return pad + text + pad


@st.composite
def splits(draw: st.DrawFn, data: Any) -> list[Any]:
    """``data`` cut at random points (sorted, deduplicated, anywhere)."""
    n = len(data)
    if n == 0:
        return [data]
    cuts = sorted(set(draw(st.lists(st.integers(0, n), max_size=min(n, 40)))))
    bounds = [0, *cuts, n]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


ALPHABET = st.sampled_from(list('{}[]:,"\\ 0123456789-+.eEtrufalsn\n\tx\x00\x1fé😀\ufeff\u00a0'))


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A random document with up to four random edits (insert, delete, replace, truncate)."""
    text = draw(documents())
    for _ in range(draw(st.integers(1, 4))):
        k = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "replace", "truncate"]))
        c = draw(ALPHABET)
        if op == "insert":
            text = text[:k] + c + text[k:]
        elif op == "delete":
            text = text[:k] + text[k + 1 :]
        elif op == "replace":
            text = text[:k] + c + text[k + 1 :]
        else:
            text = text[:k]
    return text
