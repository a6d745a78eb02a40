"""Import time: what ``import midstream`` costs a fresh interpreter, beside its peers.

    python -m benchmarks.importtime [--runs N]

For each module, N fresh interpreters run ``python -X importtime -c "import MODULE"``; the cost of
one run is the cumulative time CPython reports on the module's own top-level line (everything it
imports included; what the interpreter loaded before it, such as ``site``, is not). The table
gives the median, and the fastest and slowest run; wall-clock times on a busy machine inflate
them all, so a last column gives the median CPU time (user + system) of the same interpreters
less that of a bare ``python -c pass``, which other processes disturb much less. The last rows
are the time from the start of ``-c`` to the end of a first parse of a small document (import
included), measured with ``time.perf_counter`` in N more fresh interpreters: midstream's first
``Parser()`` and ``feed`` (on the engine ``midstream.ENGINE`` picks), and, for the peers, what
each does first: ``json.loads``, ``jiter.from_json(..., partial_mode=True)`` and ijson's
``items`` over the bytes (its default backend).

The target is ``import midstream`` <= 5 ms (median).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import statistics
import subprocess
import sys

PEERS = ["json", "ijson", "jiter"]  # timed when installed
#: As a user's installed package runs: with bytecode caches (an environment that sets
#: PYTHONDONTWRITEBYTECODE would make every run compile every module from source).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

DOC = '{"a": [1, 2.5, "x"], "b": {"c": null}}'
FIRST_PARSE = f"""\
import time
t0 = time.perf_counter()
import midstream
p = midstream.Parser()
p.feed('{DOC}')
t1 = time.perf_counter()
print(t1 - t0, midstream.ENGINE)
"""
#: The peers' import + first parse of the same document: (row label, code timed).
PEER_FIRST_PARSE = {
    "json": ("import + first json.loads", f"import json\njson.loads('{DOC}')"),
    "jiter": (
        "import + first from_json (partial_mode)",
        f"import jiter\njiter.from_json(b'{DOC}', partial_mode=True)",
    ),
    "ijson": (
        "import + first items() (default backend)",
        f"import io, ijson\nlist(ijson.items(io.BytesIO(b'{DOC}'), ''))",
    ),
}


def peer_first_parse_times(module: str, runs: int) -> tuple[list[float], list[float]]:
    """Milliseconds from start to ``module``'s first parse done, in fresh interpreters, and their
    CPU milliseconds."""
    code = PEER_FIRST_PARSE[module][1]
    timed = f"import time\nt0 = time.perf_counter()\n{code}\nprint(time.perf_counter() - t0)\n"
    outputs, cpu = fresh_runs(timed, runs)
    return [float(text.split()[0]) * 1000 for text in outputs], cpu


def cumulative_us(stderr: str, module: str) -> int:
    """The cumulative microseconds on ``module``'s top-level line of ``-X importtime`` output.

    Lines read ``import time: <self> | <cumulative> | <name>``, the name indented by its depth;
    a module imported again later (already loaded) does not appear twice, so one line counts.
    """
    total = 0
    for line in stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        fields = line[len("import time:") :].split("|")
        if len(fields) != 3 or not fields[0].strip().isdigit():
            continue  # the header line
        name = fields[2].rstrip()
        if name.lstrip() == module and len(name) - len(name.lstrip()) == 1:  # " name": top level
            total += int(fields[1])
    return total


def child_cpu_ms() -> float:
    """CPU time (user + system) of the waited-for child processes so far, in milliseconds."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * 1000


def fresh_runs(code: str, runs: int, *options: str) -> tuple[list[str], list[float]]:
    """The stdout and stderr of ``runs`` fresh ``python -c code`` (after one warm-up run, which
    may write bytecode caches), and the CPU milliseconds of each."""
    outputs, cpu = [], []
    for k in range(runs + 1):
        before = child_cpu_ms()
        run = subprocess.run([sys.executable, *options, "-c", code], capture_output=True, text=True, check=True, env=ENV)
        if k:
            outputs.append(run.stdout + run.stderr)
            cpu.append(child_cpu_ms() - before)
    return outputs, cpu


def import_times(module: str, runs: int) -> tuple[list[float], list[float]]:
    """Milliseconds to import ``module`` in each of ``runs`` fresh interpreters (-X importtime),
    and the CPU milliseconds of each interpreter."""
    outputs, cpu = fresh_runs(f"import {module}", runs, "-X", "importtime")
    out = []
    for text in outputs:
        us = cumulative_us(text, module)
        if us == 0:
            raise RuntimeError(f"no top-level import line for {module!r} in -X importtime output")
        out.append(us / 1000)
    return out, cpu


def first_parse_times(runs: int) -> tuple[list[float], list[float], str]:
    """Milliseconds from start to a first ``Parser()`` + ``feed`` done, in fresh interpreters;
    their CPU milliseconds; the engine they ran."""
    outputs, cpu = fresh_runs(FIRST_PARSE, runs)
    engine = outputs[0].split()[1]
    return [float(text.split()[0]) * 1000 for text in outputs], cpu, engine


def row(name: str, ms: list[float], cpu: list[float], bare: float) -> str:
    return (
        f"| {name} | {statistics.median(ms):.2f} ms | {min(ms):.2f} ms | {max(ms):.2f} ms "
        f"| {statistics.median(cpu) - bare:.1f} ms |"
    )


def table(runs: int) -> list[str]:
    """The import-time table (markdown lines), ``runs`` fresh interpreters per row."""
    bare = statistics.median(fresh_runs("pass", runs)[1])
    lines = [
        f"Import time, {runs} fresh interpreters per row (python -X importtime, cumulative; the "
        "last rows: from the start of `-c` to a first parse done, `time.perf_counter`):",
        "",
        "| import | median | fastest | slowest | CPU over `python -c pass` (median) |",
        "|---|---|---|---|---|",
        row("midstream", *import_times("midstream", runs), bare),
    ]
    for peer in PEERS:
        if importlib.util.find_spec(peer) is None:
            lines.append(f"| {peer} | not installed | | | |")
        else:
            lines.append(row(peer, *import_times(peer, runs), bare))
    first, cpu, engine = first_parse_times(runs)
    lines.append(row(f"midstream: import + first Parser() + feed ({engine} engine)", first, cpu, bare))
    for peer, (label, _) in PEER_FIRST_PARSE.items():
        if importlib.util.find_spec(peer) is not None:
            lines.append(row(f"{peer}: {label}", *peer_first_parse_times(peer, runs), bare))
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="benchmarks.importtime")
    ap.add_argument("--runs", type=int, default=20, help="fresh interpreters per row (default 20)")
    args = ap.parse_args(argv)
    print("\n".join(table(args.runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
