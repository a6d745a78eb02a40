"""Nothing received is lost: a stream cut at any position keeps what the parser had."""

from __future__ import annotations

import copy
import json

import pytest

from midstream import IncompleteJSONError, JSONLParser, Parser
from support.corpus import STREAMS
from support.oracle import same
from tests.test_properties import grows

DOCS = [
    (STREAMS / "openai-chat__openai-python__non_pydantic_response_format__2024-09-26.assembled.json").read_text(),
    json.dumps(
        {"t": "é😀\n\"q\" \\ \u2028", "n": [0, -1.5e-3, 12345678901234567890, True, None], "o": {"": {}}},
        ensure_ascii=False,
    ),
    json.dumps(["\ud83d\ude00 \\u escapes", {"k": "\x00\x1f"}], ensure_ascii=True),
]


@pytest.mark.parametrize("text", DOCS)
@pytest.mark.parametrize("as_bytes", [False, True])
def test_cut_at_every_position(text: str, as_bytes: bool) -> None:
    full = json.loads(text)
    data = text.encode() if as_bytes else text
    for k in range(len(data)):
        p = Parser()
        p.feed(data[:k])
        had = copy.deepcopy(p.value)
        try:
            p.close()
        except IncompleteJSONError as e:
            # What the parser had, plus the number the end of input completed if one was open
            # (a cut "-0" of "-0.0015" is the number -0 as received, so only `had` must grow
            # into the full value).
            assert grows(had, full) and grows(had, e.partial), (k, had, e.partial)
            if not data[k - 1 : k].isdigit():
                assert same(e.partial, had) or had is None, (k, had, e.partial)
        else:
            assert data[k:].strip() == data[k:][:0] or k == len(data)
        q = Parser()
        q.feed(data[:k])
        q.feed(data[k:])
        assert same(q.close(), full), k


def test_jsonl_cut_at_every_position() -> None:
    lines = [json.loads(d) for d in DOCS]
    text = "\n".join(json.dumps(v) for v in lines) + "\n"
    for k in range(0, len(text), 3):
        j = JSONLParser()
        got = j.feed(text[:k])
        partial = copy.deepcopy(j.partial)
        got += j.feed(text[k:]) + j.close()
        assert len(got) == len(lines) and all(same(a, b) for a, b in zip(got, lines, strict=True))
        nxt = lines[len([c for c in text[:k] if c == "\n"])] if text[:k].count("\n") < len(lines) else None
        assert partial is None or grows(partial, nxt)
