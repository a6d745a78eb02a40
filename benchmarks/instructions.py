"""Instructions per delta, counted by valgrind's callgrind: repeatable whatever the machine's load.

    python -m benchmarks.instructions [--engine compiled|python] [--size 10000] [--events]

Feeds the ~10 KB LLM-like document (``benchmarks.docs``) in its seeded ~4-character ``str``
deltas, with no value read (S1), once with 1 pass and once with 11 passes over the same deltas
(a fresh parser per pass), each under ``valgrind --tool=callgrind`` with ``PYTHONHASHSEED=0``;
the difference of the two totals divided by 10 passes' deltas is the cost of one delta, start-up
and imports cancelled out. ``--events`` subscribes one consumer that does nothing (the cost of
the event layer).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

CHILD = """
import sys
from support.docs import deltas, llm_document
from midstream import Parser
passes, size, engine, events = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"
parts = deltas(llm_document(size))
kw = {"on_event": (lambda e: None)} if events else {}
Parser(engine=engine, **kw).feed("[]")  # warm: the engine is imported and bound
for _ in range(passes):
    p = Parser(engine=engine, **kw)
    feed = p.feed
    for d in parts:
        feed(d)
print(len(parts))
"""


def count(passes: int, size: int, engine: str, events: bool) -> tuple[int, int]:
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cg.out")
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        run = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, "-c", CHILD,
             str(passes), str(size), engine, "1" if events else "0"],
            capture_output=True, text=True, env=env, check=True,
        )
        total = int(re.search(r"Collected : (\d+)", run.stderr).group(1))  # type: ignore[union-attr]
        return total, int(run.stdout.split()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engine", default="compiled", choices=["compiled", "python"])
    ap.add_argument("--size", type=int, default=10_000)
    ap.add_argument("--events", action="store_true")
    args = ap.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)")
        return 1
    one, n = count(1, args.size, args.engine, args.events)
    eleven, _ = count(11, args.size, args.engine, args.events)
    per = (eleven - one) / (10 * n)
    print(f"{args.engine} engine, {args.size} B document, {n} deltas, events={args.events}: "
          f"{per:,.0f} instructions per delta")
    return 0


if __name__ == "__main__":
    sys.exit(main())
