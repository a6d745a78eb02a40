"""Command line: ``midstream parse | demo | jsonl`` (also ``python -m midstream``).

midstream parse [FILE | -] [--jsonl] [--partial] [--model pkg.mod:Cls]
    Read incrementally and print each value (or JSONL record) as one JSON line the moment it
    completes (see :mod:`midstream.cli.parse`).

python -m midstream demo [--file STREAM] [--delay SECONDS]
    Replay a recorded stream (default: the bundled Anthropic structured-output stream) and
    print the partial value after every delta. STREAM is a raw SSE body or a file of SSE
    ``data:`` payloads, one JSON payload per line (OpenAI chat / Anthropic messages shapes).
python -m midstream jsonl FILE
    Parse a JSONL file, print the number of records and every bad line.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import ParseError
from ..jsonl import JSONLParser
from ..parser import Parser


def payloads(text: str) -> Iterator[Any]:
    """The JSON payloads of an SSE body (``data:`` lines) or of a payload-per-line file."""
    for line in text.splitlines():
        if line.startswith("data:"):
            line = line[5:].removeprefix(" ")
        elif line.startswith(("event:", "id:", "retry:", ":")) or not line.strip():
            continue
        if line.strip() == "[DONE]":
            continue
        yield json.loads(line)


def text_delta(payload: Any) -> str | None:
    """The JSON-bearing text of one payload: OpenAI chat content or tool-call arguments,
    Anthropic ``text_delta`` / ``input_json_delta`` (first choice / any block)."""
    if not isinstance(payload, dict):
        return None
    delta = payload.get("delta")
    if payload.get("type") == "content_block_delta" and isinstance(delta, dict):
        text = delta.get("text", delta.get("partial_json"))
        return text if isinstance(text, str) else None
    choices = payload.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        d = choices[0].get("delta") or {}
        if isinstance(d.get("content"), str):
            return str(d["content"])
        for call in d.get("tool_calls") or ():
            args = (call.get("function") or {}).get("arguments")
            if isinstance(args, str):
                return args
    return None


def demo(path: str | None, delay: float, out: Any = None) -> int:
    out = out or sys.stdout
    if path is None:
        text = resources.files("midstream").joinpath("data/demo_stream.jsonl").read_text("utf-8")
        name = "bundled Anthropic structured-output stream"
    else:
        text = Path(path).read_text("utf-8")
        name = path
    deltas = [d for d in map(text_delta, payloads(text)) if d]
    print(f"# replaying {len(deltas)} deltas from the {name}", file=out)
    width = max(40, shutil.get_terminal_size((120, 24)).columns - 32)
    p = Parser()
    for k, delta in enumerate(deltas, 1):
        p.feed(delta)
        shown = json.dumps(p.value, ensure_ascii=False)
        if len(shown) > width:  # show the growing end
            shown = "…" + shown[-width + 1 :]
        print(f"{k:4d} +{delta!r:<24.24} {shown}", file=out, flush=True)
        if delay:
            time.sleep(delay)
    try:
        final = p.close()
    except ParseError as e:
        print(f"# stream ended early: {e}", file=out)
        return 1
    print("# complete:", json.dumps(final, ensure_ascii=False, indent=2), file=out)
    return 0


def jsonl(path: str, out: Any = None) -> int:
    out = out or sys.stdout
    parser = JSONLParser(on_error="skip")
    count = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 16):
            count += len(parser.feed(chunk))
    count += len(parser.close())
    print(f"{count} records, {len(parser.errors)} bad lines", file=out)
    for e in parser.errors:
        print(f"  line {e.line}: {e}", file=out)
    return 1 if parser.errors else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="midstream", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("demo", help="replay a recorded LLM stream, printing the partial value")
    d.add_argument("--file", help="SSE body or payload-per-line file (default: bundled)")
    d.add_argument("--delay", type=float, default=0.02, help="seconds between deltas")
    j = sub.add_parser("jsonl", help="parse a JSONL file and report bad lines")
    j.add_argument("file")
    pa = sub.add_parser("parse", help="print each value or record as one JSON line as it completes")
    pa.add_argument("file", nargs="?", default="-", help="a file, or - for stdin (default)")
    pa.add_argument("--jsonl", action="store_true", help="newline-delimited records")
    pa.add_argument("--partial", action="store_true", help="also the partial value after each read")
    pa.add_argument("--model", help="validate with pydantic: pkg.module:Name")
    args = ap.parse_args(argv)
    if args.cmd == "parse":
        from .parse import run

        return run(args)
    if args.cmd == "demo":
        return demo(args.file, args.delay)
    return jsonl(args.file)


if __name__ == "__main__":
    sys.exit(main())
