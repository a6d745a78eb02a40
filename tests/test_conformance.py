"""JSONTestSuite (test_parsing): y_ parse to json.loads' value, n_ raise ParseError, i_ either.

Every file under every chunking: whole, one byte (or character) at a time, random splits; as
bytes and, where the file is valid UTF-8, as str.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from typing import Any

import pytest

from midstream import ParseError, Parser
from support.corpus import TEST_PARSING, chunkings
from support.oracle import same

FILES = sorted(p.name for p in TEST_PARSING.iterdir() if p.suffix == ".json")


def parse(chunks: Sequence[str | bytes]) -> Any:
    p = Parser()
    for c in chunks:
        p.feed(c)
    return p.close()


def test_suite_is_complete() -> None:
    kinds = [f[0] for f in FILES]
    assert (kinds.count("y"), kinds.count("n"), kinds.count("i")) == (95, 188, 35)


@pytest.mark.parametrize("name", FILES)
def test_file(name: str) -> None:
    raw = (TEST_PARSING / name).read_bytes()
    inputs: list[str | bytes] = [raw]
    with contextlib.suppress(UnicodeDecodeError):
        inputs.append(raw.decode("utf-8"))
    if name.startswith("y_"):
        expected = json.loads(raw)
    outcomes = set()
    for data in inputs:
        for how, chunks in chunkings(data, name):
            where = f"{name} as {type(data).__name__}, {how}"
            if name.startswith("y_"):
                assert same(parse(chunks), expected), where
            elif name.startswith("n_"):
                with pytest.raises(ParseError):
                    parse(chunks)
            else:
                # Either outcome is allowed (any other exception fails the test), but the same
                # bytes must give the same outcome however they are split.
                try:
                    outcome = json.dumps(parse(chunks))
                except ParseError:
                    outcome = "ParseError"
                outcomes.add((type(data), outcome))
    assert len({o for t, o in outcomes if t is bytes}) <= 1, outcomes
