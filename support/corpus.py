"""The test data in the repository (``tests/data``, see its SOURCES.md), and the splitters."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
TEST_PARSING = DATA / "jsontestsuite" / "test_parsing"  # JSONTestSuite: y_, n_, i_ files (raw bytes)
STREAMS = DATA / "llm-streams"  # recorded LLM streams; index.json is the manifest
JSONL = DATA / "jsonl"  # real NDJSON files

#: What ``tests/data`` holds, checked before the suite runs (a missing file fails, never skips).
EXPECTED = {TEST_PARSING: ("*.json", 318), STREAMS: ("*.jsonl", 76), JSONL: ("*.*json*", 2)}


def missing_data() -> list[str]:
    """What is absent from ``tests/data``, as messages (empty when it is complete)."""
    problems = []
    for folder, (pattern, count) in EXPECTED.items():
        found = len(list(folder.glob(pattern)))
        if found != count:
            problems.append(f"{folder.relative_to(ROOT)}: {found} {pattern} files, expected {count}")
    if not (STREAMS / "index.json").is_file():
        problems.append(f"{STREAMS.relative_to(ROOT)}/index.json is missing")
    return problems

T = TypeVar("T", str, bytes)


def random_splits(data: T, seed: int | str, max_len: int = 7) -> list[T]:
    """``data`` cut at random points into pieces of 1..max_len (bytes splits may cut UTF-8)."""
    rnd = random.Random(seed)
    out, k = [], 0
    while k < len(data):
        m = rnd.randint(1, max_len)
        out.append(data[k : k + m])
        k += m
    return out


def chunkings(data: T, seed: int | str) -> Iterator[tuple[str, Sequence[T]]]:
    """The standard chunkings of the suite: whole, one unit at a time, random splits."""
    yield "whole", [data]
    yield "each", [data[k : k + 1] for k in range(len(data))]
    yield "random", random_splits(data, seed)


def stream_deltas(payloads: list[Any]) -> dict[tuple[Any, ...], list[str]]:
    """The JSON-bearing channels of a recorded stream, as lists of text deltas.

    Shapes: OpenAI chat (content, tool-call arguments by index), OpenAI Responses (function /
    MCP call arguments by item id), Anthropic (input_json / text deltas by block, per message),
    Cohere v2 tool-call deltas, Bedrock ConverseStream tool-use input.
    """
    ch: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    message = -1
    for p in payloads:
        if not isinstance(p, dict):
            continue
        t = p.get("type")
        if t == "message_start":
            message += 1
        if t == "content_block_delta":
            d = p["delta"]
            if d.get("type") == "input_json_delta":
                ch["anthropic", message, p["index"], "json"].append(d["partial_json"])
            elif d.get("type") == "text_delta":
                ch["anthropic", message, p["index"], "text"].append(d["text"])
        elif t in ("response.function_call_arguments.delta", "response.mcp_call_arguments.delta"):
            ch["responses", p["item_id"]].append(p["delta"])
        elif t == "tool-call-delta":
            ch["cohere", p["index"]].append(
                p["delta"]["message"]["tool_calls"]["function"]["arguments"]
            )
        elif "contentBlockDelta" in p:
            cb = p["contentBlockDelta"]
            tool = cb["delta"].get("toolUse")
            if tool is not None:
                ch["bedrock", cb["contentBlockIndex"]].append(tool["input"])
        elif isinstance(p.get("choices"), list):
            for c in p["choices"]:
                d = c.get("delta") or {}
                if isinstance(d.get("content"), str):
                    ch["openai", c.get("index", 0), "content"].append(d["content"])
                for tc in d.get("tool_calls") or ():
                    args = (tc.get("function") or {}).get("arguments")
                    if isinstance(args, str):
                        ch["openai", c.get("index", 0), tc.get("index", 0)].append(args)
    return dict(ch)


def load_streams() -> list[dict[str, Any]]:
    index: list[dict[str, Any]] = json.loads((STREAMS / "index.json").read_text())
    return index


def stream_payloads(name: str) -> list[Any]:
    lines = (STREAMS / f"{name}.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]
