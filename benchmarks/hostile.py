"""Hostile inputs: time at size n and 10·n, to show the cost stays linear (ratio ≈ 10, not 100).

    python -m benchmarks.hostile [--n N]

Each case also checks its outcome (the value, or the expected error). Timings are best of 3.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from midstream import JSONLParser, LimitExceededError, ParseError, Parser
from support.docs import llm_document


def _feed_all(chunks: list[Any], **opts: Any) -> Any:
    p = Parser(**opts)
    feed = p.feed
    for c in chunks:
        feed(c)
    return p.close()


def _pieces(text: Any, size: int) -> list[Any]:
    return [text[k : k + size] for k in range(0, len(text), size)]


def _expect(error: type[Exception], fn: Callable[[], Any]) -> None:
    try:
        fn()
    except error:
        return
    raise AssertionError(f"expected {error.__name__}")


def cases(n: int) -> dict[str, Callable[[], Any]]:
    """Each case at size n (characters, digits, keys, records...)."""
    deep = "[" * n + "]" * n
    text = "x" * n
    escaped = "\\n" * (n // 2)
    keys = "{" + ",".join(f'"{k}":{k % 10}' for k in range(n // 8)) + "}"
    doc = llm_document(n).encode()
    jsonl = b"".join(json.dumps({"id": k, "v": "abc"}).encode() + b"\n" for k in range(n // 25))
    return {
        "[ x n (limit at 1024)": lambda: _expect(LimitExceededError, lambda: Parser().feed("[" * n)),
        '{"a": x n (limit at 1024)': lambda: _expect(LimitExceededError, lambda: Parser().feed('{"a":' * n)),
        "n-deep valid nesting (max_depth=n)": lambda: _feed_all(_pieces(deep, 4096), max_depth=n),
        "string of n chars, one piece": lambda: _feed_all(['"' + text + '"']),
        "string of n chars, 4-char deltas": lambda: _feed_all(['"', *_pieces(text, 4), '"']),
        "string of n chars, read after each delta": lambda: _read_each(['"', *_pieces(text, 4), '"']),
        "n/2 escapes (\\n)": lambda: _feed_all(_pieces('"' + escaped + '"', 4096)),
        "n/6 \\u00e9 escapes": lambda: _feed_all(_pieces('"' + "\\u00e9" * (n // 6) + '"', 4096)),
        "number of n digits (max_number=n+2)": lambda: _feed_all(_pieces("0." + "7" * n, 64), max_number=n + 2),
        "number of n digits (default limit)": lambda: _expect(LimitExceededError,
            lambda: _feed_all(_pieces("0." + "7" * n, 64))
        ),
        "n/8 tiny keys": lambda: _feed_all([keys]),
        "document of n bytes, 1 byte per feed": lambda: _feed_all(_pieces(doc, 1)),
        "JSONL of n bytes, 64 KiB chunks": lambda: _jsonl(_pieces(jsonl, 65536)),
        "invalid UTF-8 after n bytes": lambda: _expect(ParseError, lambda: _feed_all([b'"' + b"a" * n + b'\xc0"'])),
    }


def _read_each(chunks: list[str]) -> Any:
    p = Parser()
    for c in chunks:
        p.feed(c)
        p.value  # noqa: B018
    return p.close()


def _jsonl(chunks: list[bytes]) -> int:
    j = JSONLParser()
    return sum(len(j.feed(c)) for c in chunks) + len(j.close())


def best(fn: Callable[[], Any], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def run(n: int, factor: int = 10, runs: int = 3) -> list[dict[str, Any]]:
    small, large = cases(n), cases(n * factor)
    rows = []
    for name in small:
        t1, t2 = best(small[name], runs), best(large[name], runs)
        rows.append({"case": name, "n": n, "factor": factor, "small": t1, "large": t2, "ratio": t2 / t1})
    return rows


def report(rows: list[dict[str, Any]]) -> str:
    n, f = rows[0]["n"], rows[0]["factor"]
    out = [f"| hostile input | n = {n:,} | n = {n * f:,} | ratio (linear ≈ {f}) |", "|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r['case']} | {r['small'] * 1e3:.2f} ms | {r['large'] * 1e3:.1f} ms | {r['ratio']:.1f} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="benchmarks.hostile")
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--factor", type=int, default=10)
    args = ap.parse_args(argv)
    print(report(run(args.n, args.factor)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
