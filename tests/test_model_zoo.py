"""ModelParser against ``validate_json`` on the model zoo (``tests/model_zoo.py``): valid
documents and documents spoiled at random places, in random layouts, fed in random splits,
compared field by field and error by error (the oracle: ``tests/model_oracle.py``)."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.model_oracle import check_document
from tests.model_zoo import CASES, HUGE, Case, junk
from tests.strategies import splits

#: examples per case (MIDSTREAM_ZOO_EXAMPLES=2000 for a long run)
EXAMPLES = int(os.environ.get("MIDSTREAM_ZOO_EXAMPLES", "60"))
KEYS = st.sampled_from(["a", "kind", "zz", "x", "items", "name", "value", "SKU", "n"])


def _paths(doc: Any) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    todo: list[tuple[tuple[Any, ...], Any]] = [((), doc)]
    while todo:
        path, x = todo.pop()
        out.append(path)
        if isinstance(x, dict):
            todo.extend(((*path, k), v) for k, v in x.items())
        elif isinstance(x, list):
            todo.extend(((*path, i), v) for i, v in enumerate(x))
    return out


def _at(doc: Any, path: tuple[Any, ...]) -> Any:
    for k in path:
        doc = doc[k]
    return doc


@st.composite
def spoiled(draw: st.DrawFn, docs: st.SearchStrategy[Any]) -> Any:
    """A document, left as it is or spoiled at a random place: a value replaced by junk, a
    member removed, a member added."""
    doc = draw(docs)
    how = draw(st.sampled_from(["none", "none", "replace", "remove", "add"]))
    if how == "none":
        return doc
    doc = json.loads(json.dumps(doc))  # a copy
    path = draw(st.sampled_from(_paths(doc)))
    if how == "replace":
        if not path:
            return draw(junk)
        _at(doc, path[:-1])[path[-1]] = draw(junk)
    else:
        where = _at(doc, path)
        if how == "remove" and isinstance(where, dict) and where:
            del where[draw(st.sampled_from(sorted(where)))]
        elif how == "remove" and isinstance(where, list) and where:
            del where[draw(st.integers(0, len(where) - 1))]
        elif how == "add" and isinstance(where, dict):
            where[draw(KEYS)] = draw(junk)
        elif how == "add" and isinstance(where, list):
            where.append(draw(junk))
    return doc


@st.composite
def serialised(draw: st.DrawFn, doc: Any) -> str:
    ascii_ = draw(st.booleans())
    layout = draw(st.sampled_from([{}, {"separators": (",", ":")}, {"indent": 1}]))
    text = json.dumps(doc, ensure_ascii=ascii_, **layout)
    return text.replace(json.dumps(HUGE, ensure_ascii=ascii_), "1e400")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_zoo_against_validate_json(case: Case, data: st.DataObject) -> None:
    doc = data.draw(spoiled(case.docs), label="document")
    text = data.draw(serialised(doc), label="text")
    pieces = data.draw(splits(text), label="pieces")
    check_document(case.tp, pieces)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_zoo_valid_and_invalid_both_seen(case: Case) -> None:
    """Each case's documents are not all valid nor all invalid (the zoo tests something)."""
    verdicts: set[str] = set()

    @settings(max_examples=80, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(st.data())
    def run(data: st.DataObject) -> None:
        doc = data.draw(spoiled(case.docs))
        verdicts.add(check_document(case.tp, [data.draw(serialised(doc))], read_partial=False))

    run()
    assert {"valid", "invalid"} <= verdicts, verdicts


#: inputs the fuzzer found (fuzz/fuzz_model.py), checked against each type of the zoo
FOUND = [
    b'{"id": 2, "parts": [{"n": "toolongname!", "qty": -1}], "zz": 1}',  # an object for a list
    b"0." + b"0" * 48 + b"  ",  # a top-level number completes at the blank after it
    b'{"b": "\\ud800", "a": "x"}',  # a lone surrogate escape: json_invalid alone
    b"[NaN]",  # not JSON
]


@pytest.mark.parametrize("data", FOUND)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_found_inputs(case: Case, data: bytes) -> None:
    import zlib

    from support.oracle import pieces

    check_document(case.tp, pieces(data.decode(), zlib.crc32(data)))
    check_document(case.tp, [data])
