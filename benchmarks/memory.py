"""Scenario 5: peak memory (tracemalloc) while streaming.

* JSONL: 100 MB of records in 64 KiB chunks, records dropped as they arrive. The peak must follow
  the largest record (and one chunk), not the file.
* One 10 MB value in 64 KiB chunks: the peak is the value itself; ``json.loads`` of the whole
  text is shown beside it (it needs the text and the value at once).
"""

from __future__ import annotations

import json
from typing import Any

from midstream import JSONLParser, Parser
from support.docs import jsonl_text, llm_document
from support.memory import peak


def bench_memory(jsonl_bytes: int = 100_000_000, value_bytes: int = 10_000_000) -> dict[str, Any]:
    block = jsonl_text(65536)  # whole records, about one chunk
    block = block[: block.rfind(b"\n", 0, 65536) + 1]
    repeats = jsonl_bytes // len(block)
    largest = max(len(line) for line in block.split(b"\n"))

    def stream_jsonl() -> None:
        j = JSONLParser()
        feed = j.feed
        for _ in range(repeats):
            feed(block)
        j.close()

    text = llm_document(value_bytes)
    chunks = [text[k : k + 65536] for k in range(0, len(text), 65536)]

    def stream_value() -> None:
        p = Parser()
        for c in chunks:
            p.feed(c)
        p.close()

    return {
        "jsonl": {"bytes": repeats * len(block), "largest_record": largest, "chunk": len(block), "peak": peak(stream_jsonl)},
        "value": {
            "bytes": len(text),
            "peak_midstream": peak(stream_value),
            "peak_json_loads_of_text": peak(lambda: json.loads(text)),
        },
    }


def report(m: dict[str, Any]) -> str:
    j, v = m["jsonl"], m["value"]
    return "\n".join(
        [
            "### Peak memory while streaming (tracemalloc)",
            "",
            "| input | size | peak |",
            "|---|---|---|",
            f"| JSONL in 64 KiB chunks (largest record {j['largest_record']:,} B) | {j['bytes'] / 1e6:,.0f} MB | {j['peak'] / 1e6:.2f} MB |",
            f"| one value in 64 KiB chunks, midstream | {v['bytes'] / 1e6:,.0f} MB | {v['peak_midstream'] / 1e6:.1f} MB |",
            f"| the same value, `json.loads` of the whole text (text not counted) | {v['bytes'] / 1e6:,.0f} MB | {v['peak_json_loads_of_text'] / 1e6:.1f} MB |",
        ]
    )
