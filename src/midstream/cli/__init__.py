"""The ``midstream`` command (also ``python -m midstream``).

midstream parse [FILE | -] [--jsonl | --sse] [--partial] [--model pkg.mod:Name]
    Read incrementally (e.g. behind ``curl -N``) and print each value, JSONL record or SSE
    channel as one JSON line the moment it completes; errors on stderr, one line, exit code 1.
midstream watch [FILE | -] [--sse] [--model pkg.mod:Name]
    Redraw the partial value live in the terminal, validated parts marked (plain lines when
    stdout is not a terminal).
midstream demo [--file STREAM] [--delay SECONDS] [--model pkg.mod:Name]
    Replay a recorded LLM stream (by default the bundled one, in two acts: validation as it
    streams, then an early cancellation).

Each command is a module of this package; they read input and call the library (the core
itself does no I/O).
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="midstream", description="Parse JSON and JSONL while an LLM streams it.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    pa = sub.add_parser("parse", help="print each value, record or channel as one JSON line as it completes")
    pa.add_argument("file", nargs="?", default="-", help="a file, or - for stdin (default)")
    kind = pa.add_mutually_exclusive_group()
    kind.add_argument("--jsonl", action="store_true", help="newline-delimited records")
    kind.add_argument("--sse", action="store_true", help="an LLM API's SSE body: one line per channel")
    pa.add_argument("--partial", action="store_true", help="also the partial value after each read")
    pa.add_argument("--model", help="validate with pydantic: pkg.module:Name")
    w = sub.add_parser("watch", help="redraw the partial value live in the terminal")
    w.add_argument("file", nargs="?", default="-", help="a file, or - for stdin (default)")
    w.add_argument("--sse", action="store_true", help="an LLM API's SSE body")
    w.add_argument("--model", help="validate with pydantic: pkg.module:Name")
    d = sub.add_parser("demo", help="replay a recorded LLM stream at token speed")
    d.add_argument("--file", help="a recorded SSE body or payload-per-line file (default: bundled)")
    d.add_argument("--delay", type=float, default=0.03, help="seconds between deltas (default 0.03)")
    d.add_argument("--model", help="with --file: validate with pydantic: pkg.module:Name")
    args = ap.parse_args(argv)
    try:
        return _run(args)
    except BrokenPipeError:  # the reader went away (| head): stop quietly, as cat does
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        return 130


def _run(args: argparse.Namespace) -> int:
    if args.cmd == "demo":
        from .demo import demo

        return demo(args.file, args.delay, args.model)
    from .parse import run, watch

    if args.cmd == "watch":
        return watch(args)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
