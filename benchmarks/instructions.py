"""Instructions per delta, counted by valgrind's callgrind: a figure that does not depend on the
machine's load (timings on a shared machine do).

    python -m benchmarks.instructions [--engine compiled|python] [--bytes] [--size 10000] [--runs 20]

The benchmark document (``docs.llm_document``) in its seeded ~4-character deltas, fed to a
parser with no subscriber and no value read, ``runs`` times; the count of a run that only builds
the inputs is subtracted, and the rest divided by the deltas fed. ``PYTHONHASHSEED=0`` makes the
count reproducible. Needs ``valgrind`` on the PATH.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile

from benchmarks.docs import deltas, llm_document


def _feed(engine: str, as_bytes: bool, size: int, runs: int) -> None:
    from midstream import Parser

    ds: list[str] | list[bytes] = deltas(llm_document(size))
    if as_bytes:
        ds = [d.encode() for d in ds]
    for _ in range(runs):
        p = Parser(engine=engine)
        feed = p.feed
        for d in ds:
            feed(d)
        p.close()


def _count(args: argparse.Namespace, runs: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={tmp}/out",
            sys.executable,
            "-m",
            "benchmarks.instructions",
            "--child",
            str(runs),
            "--engine",
            args.engine,
            "--size",
            str(args.size),
        ]
        cmd += ["--bytes"] if args.bytes else []
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        err = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stderr
    found = re.search(r"Collected : (\d+)", err)
    assert found, err
    return int(found.group(1))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--engine", default="compiled", choices=["compiled", "python"])
    ap.add_argument("--bytes", action="store_true", help="bytes deltas (default: str)")
    ap.add_argument("--size", type=int, default=10_000, help="document size in characters")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)  # (the run valgrind counts)
    args = ap.parse_args(argv)
    if args.child is not None:
        _feed(args.engine, args.bytes, args.size, args.child)
        return
    n = len(deltas(llm_document(args.size)))
    per = (_count(args, args.runs) - _count(args, 0)) / (args.runs * n)
    kind = "bytes" if args.bytes else "str"
    print(f"{args.engine} engine, {args.size:,}-character document, {n:,} {kind} deltas: {per:,.0f} instructions per delta")


if __name__ == "__main__":
    main()
