"""iter_partial / iter_jsonl and their async twins; the demo and the jsonl command."""

from __future__ import annotations

import asyncio
import copy
import io
import json
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import pytest

from midstream import IncompleteJSONError, aiter_jsonl, aiter_partial, iter_jsonl, iter_partial
from midstream.cli import demo, jsonl, main


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


def test_demo_replays_the_bundled_stream() -> None:
    out = io.StringIO()
    assert demo(None, 0, out) == 0
    lines = out.getvalue().splitlines()
    assert lines[0] == "# replaying 114 deltas from the bundled Anthropic structured-output stream"
    assert lines[3].endswith('{"characters": [{"name": "Th"}]}')
    final = json.loads(out.getvalue().split("# complete:", 1)[1])
    assert [c["name"] for c in final["characters"]] == [
        "Theron Ironheart",
        "Lyra Starweaver",
        "Rook Shadowstep",
    ]


def test_demo_replays_a_raw_sse_file(tmp_path: Path) -> None:
    from support.corpus import STREAMS

    name = "openai-chat__openai-python__non_pydantic_response_format__2024-09-26"
    out = io.StringIO()
    assert demo(str(STREAMS / f"{name}.sse"), 0, out) == 0
    final = json.loads(out.getvalue().split("# complete:", 1)[1])
    assert final == json.loads((STREAMS / f"{name}.assembled.json").read_text())


def test_demo_reports_a_cut_stream(tmp_path: Path) -> None:
    f = tmp_path / "cut.jsonl"
    f.write_text('{"choices": [{"index": 0, "delta": {"content": "{\\"a\\": [1"}}]}\n')
    out = io.StringIO()
    assert demo(str(f), 0, out) == 1
    assert "stream ended early" in out.getvalue()


def test_jsonl_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "x.jsonl"
    f.write_text('{"a": 1}\nbad\n[2]\n')
    assert main(["jsonl", str(f)]) == 1
    text = capsys.readouterr().out
    assert "2 records, 1 bad lines" in text and "line 2" in text
    assert jsonl(str(f), io.StringIO()) == 1
