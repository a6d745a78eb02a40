"""Deterministic benchmark inputs: LLM-like JSON documents, JSONL, and seeded ~4-character deltas."""

from __future__ import annotations

import json
import random
from typing import Any

WORDS = ["the", "model", "returns", "structured", "output", "with", "nested", "lists", "of", "small", "objects", "and", "long", "descriptions", "café", "naïve", "東京", "данные", "😀", "résumé", "“quoted”", "tab\tnewline\n", "backslash\\", "slash/"]


def _sentence(rnd: random.Random, n: int) -> str:
    return " ".join(rnd.choice(WORDS) for _ in range(n))


def _item(rnd: random.Random, k: int) -> dict[str, Any]:
    return {
        "id": k,
        "name": _sentence(rnd, 3),
        "score": round(rnd.uniform(-1000, 1000), 4),
        "tags": [rnd.choice(WORDS) for _ in range(rnd.randint(0, 4))],
        "active": rnd.random() < 0.5,
        "parent": None if rnd.random() < 0.7 else rnd.randint(0, k + 1),
        "meta": {"rank": rnd.randint(0, 10**6), "ratio": rnd.random(), "note": _sentence(rnd, 8)},
    }


def llm_document(size: int, seed: int = 7) -> str:
    """A JSON text of about ``size`` characters shaped like an LLM's structured output."""
    rnd = random.Random(seed)
    doc: dict[str, Any] = {
        "title": _sentence(rnd, 6),
        "summary": _sentence(rnd, max(5, size // 120)),
        "items": [],
    }
    length = len(json.dumps(doc, ensure_ascii=False))
    k = 0
    while True:
        item = _item(rnd, k)
        extra = len(json.dumps(item, ensure_ascii=False)) + 2
        if length + extra > size:
            break
        doc["items"].append(item)
        length += extra
        k += 1
    return json.dumps(doc, ensure_ascii=False)


def deltas(text: str, mean: int = 4, seed: int = 11) -> list[str]:
    """``text`` split at seeded random points, pieces of 1..2*mean-1 characters (mean ~``mean``)."""
    rnd = random.Random(seed)
    out, k = [], 0
    while k < len(text):
        m = rnd.randint(1, 2 * mean - 1)
        out.append(text[k : k + m])
        k += m
    return out


def jsonl_text(size: int, seed: int = 5) -> bytes:
    """About ``size`` bytes of JSONL records of small objects."""
    rnd = random.Random(seed)
    lines: list[bytes] = []
    total = 0
    k = 0
    while total < size:
        line = json.dumps(_item(rnd, k), ensure_ascii=False).encode()
        lines.append(line)
        total += len(line) + 1
        k += 1
    return b"\n".join(lines) + b"\n"


def llm_models() -> Any:
    """pydantic models of :func:`llm_document` (imported on use: pydantic is for this scenario)."""
    from pydantic import BaseModel

    class Meta(BaseModel):
        rank: int
        ratio: float
        note: str

    class Item(BaseModel):
        id: int
        name: str
        score: float
        tags: list[str]
        active: bool
        parent: int | None
        meta: Meta

    class Document(BaseModel):
        title: str
        summary: str
        items: list[Item]

    return Document
