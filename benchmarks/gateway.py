"""The gateway scenario: many LLM streams open at once, deltas interleaved round-robin.

    python -m benchmarks.gateway [--streams 10,100,1000,10000] [--json OUT] [--chart PNG]

N concurrent streams, each a ~2 KB LLM-like document (``support.docs.llm_document``) in seeded
~4-character deltas (``support.docs.deltas``); one round gives every open stream its next delta,
and the partial value is read after each delta (``parser.value``). The streams cycle through a
pool of 64 distinct documents and splits (the deltas of 10,000 distinct documents would
themselves be five million objects for the garbage collector to walk; a gateway holds only the
delta in flight). Each stream ends when its document does.

Reported, for each contender and each N: the time per delta (CPU time of this process, best of
a few runs; time spent in garbage collections is counted and shown apart), deltas per second per
core (the same figure inverted: the loop is single-threaded), and bytes per open parser, fresh
and half-fed, by ``tracemalloc`` and by RSS.

Contenders: midstream's two engines (the compiled one and ``Parser(engine="python")``); jiter
re-parsing each stream's growing buffer (``jiter.from_json(buf, partial_mode="trailing-strings")``,
the deltas encoded to bytes beforehand); jsonriver's ``parse`` async iterator, interleaved
without an event loop: each stream's source is an async iterator that suspends (yields to the
driver) when it has no delta, so a round resumes each stream's ``__anext__`` until it asks for
more input, which is exactly one delta's work. A peer whose full run at N would exceed its budget
(jiter, jsonriver at 1,000 and 10,000 streams) is timed on a window of rounds in the middle of
the documents, every stream brought there first (untimed: jiter's buffer is set to the prefix,
jsonriver is fed the prefix as one chunk); those cells are marked ``≈``.

What a gateway should do about the garbage collector
-----------------------------------------------------
CPython's cyclic collector runs a full collection whenever the objects that survived the younger
generations have grown by a quarter of the long-lived ones; each full collection walks every live
container, and a gateway's live containers are mostly its partial values (10,000 open ~2 KB
documents are ~70 MB of objects). The values midstream builds hold no reference cycles: reference
counting frees them the moment the application drops them, and the collector never frees any of
them, so the collections that walk them are pure cost. They are the "gc" part of the times below
(the part that grows with the number of open streams, with the cache misses of touching more
memory). What an application can do, measured by :func:`gc_variants` (the "Collector settings"
table of :func:`report`, compiled engine, 10,000 streams; see the numbers there):

* ``close()`` every parser when its stream ends, complete or cut (cut: it raises
  ``IncompleteJSONError``). While its input is open a parser and its engine refer to each other,
  a cycle that only the collector frees; ``close()`` lets the engine go, so a closed parser and
  its value are freed by reference counting when dropped (a parser that raised keeps its error,
  and the error's traceback the frames it went through, as any stored exception does).
* ``gc.freeze()`` once after start-up (imports, configuration, the application's own long-lived
  objects) takes everything alive then out of every later collection. It does not cover the
  partial values, made later.
* ``gc.set_threshold(100_000)`` (instead of 700) makes young collections rare, and with them the
  full ones; the time in collections falls to a fraction, the partial values are still walked
  when a collection does run.
* ``gc.freeze()`` again every few seconds (from the loop that accepts streams, say) keeps the
  partial values out of the full collections altogether. Safe for midstream's values (reference
  counting frees frozen objects too); what it costs is that cycles made between two freezes, and
  parsers abandoned without ``close()``, are never collected until ``gc.unfreeze()`` (then
  ``gc.collect()`` at a quiet moment).

Measured here (a loaded 2-core VM, CPython 3.11, compiled engine, 10,000 streams, four runs of
the table): two full collections in a run; time in collections 46-72 ns per delta by default
(5-7 % of the time per delta), 40-68 with ``gc.freeze()`` after start-up (no real change: the
start-up heap is small beside the values), 9-17 with ``gc.set_threshold(100_000)``, 13-19 with
``gc.freeze()`` every 50 rounds (every 0.5 s or so), 0 with the collector off. The total times of
those rows move by ±10 % from run to run on this machine; the time in collections is the part
they change. A dropped parser that was not closed waits for a collection with its value (before
``close()`` let the engine go, a closed one did too).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import subprocess
import sys
import time
import tracemalloc
import types
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from midstream import Parser
from support.docs import deltas, llm_document

RESULTS = Path(__file__).resolve().parent / "results"
STREAMS = [10, 100, 1_000, 10_000]
DOC_SIZE = 2_000
POOL = 64
#: Deltas a peer may be timed on per cell before it is timed on a window of rounds instead.
PEER_BUDGET = 200_000
#: Streams opened for the bytes-per-parser figures (enough for a stable mean; RSS in pages).
MEMORY_STREAMS = 1_000

Pair = tuple[Any, Sequence[Any]]  # (a stream's state, its deltas)


def documents(pool: int = POOL, size: int = DOC_SIZE) -> list[tuple[str, list[str]]]:
    """``pool`` distinct LLM-like documents of about ``size`` characters, each with its deltas."""
    out = []
    for j in range(pool):
        text = llm_document(size, seed=1_000 + j)
        out.append((text, deltas(text, seed=j)))
    return out


# ---- contenders ------------------------------------------------------------------------------


class Contender:
    """One way of keeping N streams' partial values: how to open a stream, run rounds, finish."""

    name = ""
    #: The deltas it takes: str, or bytes (encoded beforehand, not timed).
    takes_bytes = False
    #: Deltas timed per cell before windowing (None: always the full run).
    budget: int | None = None

    def open(self) -> Any:
        raise NotImplementedError

    def rounds(self, live: list[Pair], r0: int, r1: int) -> None:
        """Rounds ``r0 .. r1-1``: every pair whose deltas reach round r gets ``deltas[r]``."""
        raise NotImplementedError

    def value(self, state: Any) -> Any:
        raise NotImplementedError

    def close(self, state: Any) -> Any:
        return self.value(state)

    def forward(self, state: Any, prefix: Any) -> None:
        """Bring a fresh stream to the end of ``prefix`` (the text of its first rounds), untimed."""
        raise NotImplementedError


def _rounds(live: list[Pair], r0: int, r1: int) -> Iterator[tuple[int, list[Pair]]]:
    """Rounds ``r0`` to ``r1``: each round's number and the streams still open in it (a stream
    ends with its deltas). Per round, not per delta: the timed loop stays the contender's own."""
    shortest = min(len(ds) for _, ds in live)
    for r in range(r0, r1):
        if r >= shortest:  # some streams have ended
            live = [x for x in live if len(x[1]) > r]
            if not live:
                return
            shortest = min(len(ds) for _, ds in live)
        yield r, live


class Midstream(Contender):
    def __init__(self, engine: str) -> None:
        self.engine = engine
        self.name = f"midstream ({engine})"

    def open(self) -> Any:
        return Parser(engine=self.engine)

    def rounds(self, live: list[Pair], r0: int, r1: int) -> None:
        for r, now in _rounds(live, r0, r1):
            for p, ds in now:
                p.feed(ds[r])
                p.value  # noqa: B018 - the partial value read after every delta is the point

    def value(self, state: Any) -> Any:
        return state.value

    def close(self, state: Any) -> Any:
        return state.close()

    def forward(self, state: Any, prefix: Any) -> None:
        state.feed(prefix)


class Jiter(Contender):
    """The buffer re-parsed at every delta: what the SDKs do (state: ``[buffer, value]``)."""

    name = "jiter (re-parse buffer)"
    takes_bytes = True
    budget = PEER_BUDGET

    def __init__(self) -> None:
        import jiter

        self.from_json = jiter.from_json

    def open(self) -> Any:
        return [b"", None]

    def rounds(self, live: list[Pair], r0: int, r1: int) -> None:
        from_json = self.from_json
        for r, now in _rounds(live, r0, r1):
            for st, ds in now:
                buf = st[0] + ds[r]
                st[0] = buf
                try:  # noqa: SIM105 - a buffer of whitespace only: no value yet
                    st[1] = from_json(buf, partial_mode="trailing-strings")
                except ValueError:
                    pass

    def value(self, state: Any) -> Any:
        return state[1]

    def forward(self, state: Any, prefix: Any) -> None:
        state[0] = prefix
        state[1] = self.from_json(prefix, partial_mode="trailing-strings") if prefix.strip() else None


_NEED = object()


@types.coroutine
def _need_input() -> Iterator[object]:
    yield _NEED


class _Source:
    """jsonriver's input: an async iterator that suspends to the driver when it has no delta."""

    __slots__ = ("closed", "delta")

    def __init__(self) -> None:
        self.delta: str | None = None
        self.closed = False

    def __aiter__(self) -> _Source:
        return self

    async def __anext__(self) -> str:
        while self.delta is None:
            if self.closed:
                raise StopAsyncIteration
            await _need_input()
        d, self.delta = self.delta, None
        return d


class _River:
    __slots__ = ("agen", "pending", "source", "value")

    def __init__(self, parse: Callable[[Any], Any]) -> None:
        self.source = _Source()
        self.agen = parse(self.source)
        self.pending = self.agen.__anext__()
        self.value: Any = None

    def push(self, delta: str) -> None:
        """Resume the stream with ``delta`` until it asks for more input (one delta's work)."""
        self.source.delta = delta
        while True:
            try:
                self.pending.send(None)  # suspended in _Source: the delta is consumed
                return
            except StopIteration as s:  # a value (the whole value so far) was yielded
                self.value = s.value
                self.pending = self.agen.__anext__()


class Jsonriver(Contender):
    name = "jsonriver (incremental)"
    budget = PEER_BUDGET

    def __init__(self) -> None:
        import jsonriver  # type: ignore[import-untyped]

        self.parse = jsonriver.parse

    def open(self) -> Any:
        return _River(self.parse)

    def rounds(self, live: list[Pair], r0: int, r1: int) -> None:
        for r, now in _rounds(live, r0, r1):
            for st, ds in now:
                st.push(ds[r])

    def value(self, state: Any) -> Any:
        return state.value

    def close(self, state: Any) -> Any:
        state.source.closed = True
        try:
            while True:
                try:
                    state.pending.send(None)
                except StopIteration as s:
                    state.value = s.value
                    state.pending = state.agen.__anext__()
        except StopAsyncIteration:
            pass
        return state.value

    def forward(self, state: Any, prefix: Any) -> None:
        state.push(prefix)


class Harness(Contender):
    """The loop alone (a delta taken, nothing fed): the floor under every row."""

    name = "(the loop alone)"

    def open(self) -> Any:
        return None

    def rounds(self, live: list[Pair], r0: int, r1: int) -> None:
        for r, now in _rounds(live, r0, r1):
            for _st, ds in now:
                ds[r]

    def value(self, state: Any) -> Any:
        return None

    def forward(self, state: Any, prefix: Any) -> None:
        pass


def contenders(names: Iterable[str] | None = None) -> list[Contender]:
    """Every contender that can run here (peers that are not installed are left out)."""
    from midstream.engine import available

    out: list[Contender] = [Midstream(e) for e in available()]
    for make in (Jiter, Jsonriver):
        with contextlib.suppress(ImportError):
            out.append(make())
    out.append(Harness())
    if names is not None:
        wanted = set(names)
        out = [c for c in out if c.name in wanted or c.name.split(" ")[0] in wanted]
    return out


# ---- the round-robin run ---------------------------------------------------------------------


class GcClock:
    """Collections and the CPU time spent in them while active (``gc.callbacks``)."""

    def __init__(self) -> None:
        self.counts = [0, 0, 0]
        self.seconds = 0.0
        self._t = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._t = time.process_time()
        else:
            self.seconds += time.process_time() - self._t
            self.counts[info["generation"]] += 1

    def __enter__(self) -> GcClock:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


def _streams(c: Contender, docs: list[tuple[str, list[str]]], n: int) -> tuple[list[Any], list[Pair]]:
    dls: list[Sequence[Any]] = [[d.encode() for d in ds] if c.takes_bytes else ds for _, ds in docs]
    states = [c.open() for _ in range(n)]
    return states, [(st, dls[k % len(dls)]) for k, st in enumerate(states)]


def run_cell(c: Contender, docs: list[tuple[str, list[str]]], n: int, repeats: int, check: bool = True, min_total: float = 0.0) -> dict[str, Any]:
    """N streams of ``c`` fed round-robin: the best time per delta over ``repeats`` runs, or
    more while their total is under ``min_total`` seconds (the best of many short runs is what
    a loaded machine lets through; the first run's values are checked against json.loads)."""
    rounds = max(len(ds) for _, ds in docs)
    total = sum(len(docs[k % len(docs)][1]) for k in range(n))
    window = None
    if c.budget is not None and total > c.budget:
        width = max(1, c.budget // n)
        r0 = max(0, rounds // 2 - width // 2)
        window = (r0, min(rounds, r0 + width))
        repeats = 1
    best: dict[str, Any] | None = None
    spent, runs = 0.0, 0
    while runs < repeats or (spent < min_total and runs < 200):
        runs += 1
        states, live = _streams(c, docs, n)
        r0, r1 = window or (0, rounds)
        if r0:
            for st, (_text, ds) in zip(states, (docs[k % len(docs)] for k in range(n)), strict=True):
                prefix = "".join(ds[:r0])
                c.forward(st, prefix.encode() if c.takes_bytes else prefix)
        fed = sum(max(0, min(len(ds), r1) - r0) for _, ds in live)
        gc.collect()
        with GcClock() as clock:
            t0 = time.process_time()
            w0 = time.perf_counter()
            c.rounds(live, r0, r1)
            t = time.process_time() - t0
            wall = time.perf_counter() - w0
        spent += t
        cell = {
            "ns_per_delta": t / fed * 1e9,
            "wall_ns_per_delta": wall / fed * 1e9,
            "gc_ns_per_delta": clock.seconds / fed * 1e9,
            "collections": clock.counts,
            "deltas": fed,
            "window": window,
        }
        if best is None or cell["ns_per_delta"] < best["ns_per_delta"]:
            best = cell
        if check and runs == 1 and window is None and not isinstance(c, Harness):
            for k, st in enumerate(states):
                text = docs[k % len(docs)][0]
                got = c.close(st)
                if got != json.loads(text):
                    raise AssertionError(f"{c.name}: stream {k} ended with a value other than json.loads'")
        del states, live
    assert best is not None
    best["deltas_per_s"] = 1e9 / best["ns_per_delta"]
    return best


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _memory_here(c: Contender, docs: list[tuple[str, list[str]]], n: int, how: str) -> dict[str, float]:
    half = max(len(ds) for _, ds in docs) // 2
    dls = [[d.encode() for d in ds] if c.takes_bytes else ds for _, ds in docs]
    holder: list[Any] = [None] * n
    gc.collect()
    if how == "tracemalloc":
        tracemalloc.start()

    def now() -> int:
        return tracemalloc.get_traced_memory()[0] if how == "tracemalloc" else _rss()

    base = now()
    for k in range(n):
        holder[k] = c.open()
    fresh = (now() - base) / n
    c.rounds([(st, dls[k % len(dls)]) for k, st in enumerate(holder)], 0, half)
    gc.collect()
    half_fed = (now() - base) / n
    if how == "tracemalloc":
        tracemalloc.stop()
    return {"fresh": fresh, "half": half_fed}


_MEMORY_CHILD = """
import json, sys
from benchmarks.gateway import _memory_here, contenders, documents
[c] = contenders([sys.argv[1]])
docs = documents(int(sys.argv[3]), int(sys.argv[4]))
rss = _memory_here(c, docs, int(sys.argv[2]), "rss")  # first: pages not yet touched by anything
print(json.dumps({"rss": rss, "tracemalloc": _memory_here(c, docs, int(sys.argv[2]), "tracemalloc")}))
"""


def memory(c: Contender, n: int = MEMORY_STREAMS, pool: int = POOL, size: int = DOC_SIZE) -> dict[str, Any]:
    """Bytes per open stream, fresh and half-fed (every stream fed half its deltas, its partial
    value included), in a fresh interpreter: RSS first (pages no earlier run has touched), then
    tracemalloc's count. The list holding the streams is not counted."""
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    if isinstance(c, Midstream):
        env["MIDSTREAM_ENGINE"] = c.engine
    out = subprocess.run([sys.executable, "-c", _MEMORY_CHILD, c.name, str(n), str(pool), str(size)],
                         capture_output=True, text=True, env=env, check=True, cwd=root)
    m = json.loads(out.stdout.splitlines()[-1])
    return {when: {how: m[how][when] for how in ("tracemalloc", "rss")} for when in ("fresh", "half")}


def _reachable(root: Any) -> dict[int, Any]:
    seen: dict[int, Any] = {}
    todo = [root]
    while todo:
        x = todo.pop()
        if id(x) in seen or isinstance(x, (type, types.ModuleType)):
            continue
        seen[id(x)] = x
        todo.extend(gc.get_referents(x))
    return seen


def fresh_parser_bytes(engine: str | None = None) -> dict[str, Any]:
    """What one fresh ``Parser()`` costs: ``sys.getsizeof`` of each object it owns (reachable
    from it and not from another fresh parser), and tracemalloc's count over many."""
    Parser(engine=engine).feed("[]")  # warm: the engine is imported and bound
    p, other = Parser(engine=engine), Parser(engine=engine)
    theirs = _reachable(other)
    own: dict[str, int] = {}
    for k, x in _reachable(p).items():
        if k not in theirs:
            name = type(x).__name__
            own[name] = own.get(name, 0) + sys.getsizeof(x)
    n = 2_000
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    ps = [Parser(engine=engine) for _ in range(n)]
    traced = (tracemalloc.get_traced_memory()[0] - base) / n - 8  # (the list's slot)
    tracemalloc.stop()
    del ps
    return {"objects": own, "getsizeof_total": sum(own.values()), "tracemalloc": traced}


def gc_variants(docs: list[tuple[str, list[str]]], n: int, engine: str = "compiled") -> dict[str, Any]:
    """The compiled engine at ``n`` streams under the collector settings a gateway can choose."""
    c = Midstream(engine)
    out: dict[str, Any] = {}
    old = gc.get_threshold()

    def freeze_every(rounds: int) -> Callable[[], dict[str, Any]]:
        def go() -> dict[str, Any]:
            states, live = _streams(c, docs, n)
            total_rounds = max(len(ds) for _, ds in docs)
            fed = sum(len(ds) for _, ds in live)
            gc.collect()
            gc.freeze()
            with GcClock() as clock:
                t0 = time.process_time()
                for r0 in range(0, total_rounds, rounds):
                    c.rounds(live, r0, min(total_rounds, r0 + rounds))
                    gc.freeze()
                t = time.process_time() - t0
            gc.unfreeze()
            del states, live
            return {"ns_per_delta": t / fed * 1e9, "gc_ns_per_delta": clock.seconds / fed * 1e9, "collections": clock.counts}

        return go

    variants: dict[str, Callable[[], dict[str, Any]]] = {
        "default (700, 10, 10)": lambda: run_cell(c, docs, n, 1, check=False),
        "gc.freeze() after start-up": lambda: _frozen(lambda: run_cell(c, docs, n, 1, check=False)),
        "gc.set_threshold(100_000)": lambda: _threshold((100_000, 10, 10), lambda: run_cell(c, docs, n, 1, check=False)),
        "gc.freeze() every 50 rounds": freeze_every(50),
        "gc.disable() (the floor)": lambda: _disabled(lambda: run_cell(c, docs, n, 1, check=False)),
    }
    try:
        for name, fn in variants.items():
            out[name] = fn()
    finally:
        gc.set_threshold(*old)
        gc.enable()
        gc.unfreeze()
    return out


def _frozen(fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    gc.collect()
    gc.freeze()
    try:
        return fn()
    finally:
        gc.unfreeze()


def _threshold(t: tuple[int, int, int], fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    old = gc.get_threshold()
    gc.set_threshold(*t)
    try:
        return fn()
    finally:
        gc.set_threshold(*old)


def _disabled(fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    gc.disable()
    try:
        return fn()
    finally:
        gc.enable()


def run(streams: Sequence[int] = STREAMS, names: Iterable[str] | None = None, variants: bool = True, pool: int = POOL, size: int = DOC_SIZE, min_total: float = 1.0) -> dict[str, Any]:
    """The whole gateway scenario; the results as a JSON-able dict (see :func:`report`).
    ``min_total``: seconds of runs per cell at least (the best one is kept)."""
    docs = documents(pool, size)
    cs = contenders(names)
    results: dict[str, Any] = {
        "python": sys.version.split()[0],
        "doc_chars": sum(len(t) for t, _ in docs) / len(docs),
        "doc_bytes": sum(len(t.encode()) for t, _ in docs) / len(docs),
        "deltas_per_doc": sum(len(ds) for _, ds in docs) / len(docs),
        "pool": len(docs),
        "streams": list(streams),
        "cells": {},
        "memory": {},
    }
    for c in cs:
        row = results["cells"][c.name] = {}
        for n in streams:
            total = n * results["deltas_per_doc"]
            repeats = 5 if total <= 50_000 else 3 if total <= 1_000_000 else 2
            row[str(n)] = run_cell(c, docs, n, repeats, min_total=min_total)
            print(f"  gateway {c.name} {n:,} streams done", file=sys.stderr, flush=True)
        if not isinstance(c, Harness):
            results["memory"][c.name] = memory(c, pool=pool, size=size)
    results["fresh_parser"] = {e: fresh_parser_bytes(e) for e in _engines()}
    if variants:
        from midstream.engine import available

        results["gc_variants"] = {"streams": max(streams), "engine": available()[0], "rows": gc_variants(docs, max(streams), available()[0])}
    return results


def _engines() -> tuple[str, ...]:
    from midstream.engine import available

    return available()


# ---- the report and the chart ----------------------------------------------------------------


def _ns(cell: dict[str, Any]) -> str:
    mark = "≈ " if cell.get("window") else ""
    return f"{mark}{cell['ns_per_delta']:,.0f}"


def report(results: dict[str, Any]) -> list[str]:
    """The gateway tables, as markdown lines."""
    streams = [str(n) for n in results["streams"]]
    lines = [
        "### Gateway: many streams at once, deltas round-robin, value read after every delta",
        "",
        f"{results['pool']} distinct documents of ~{results['doc_bytes']:,.0f} B "
        f"(~{results['deltas_per_doc']:.0f} deltas each), cycled over the streams; CPU time, best of "
        "a few runs (Python " + results["python"] + "). Time per delta in ns (in brackets: of which "
        "in garbage collections); ≈: timed on a window of rounds mid-document.",
        "",
        "| contender | " + " | ".join(f"{int(n):,} streams" for n in streams) + f" | deltas/s per core at {int(streams[-1]):,} |",
        "|---|" + "---|" * (len(streams) + 1),
    ]
    for name, row in results["cells"].items():
        cells = [f"{_ns(row[n])} ({row[n]['gc_ns_per_delta']:,.0f})" for n in streams]
        rate = row[streams[-1]]["deltas_per_s"]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {rate / 1e6:,.2f} M |")
    lines += [
        "",
        f"Bytes per open stream ({MEMORY_STREAMS:,} streams; half-fed: every stream fed half its deltas, "
        "its partial value included):",
        "",
        "| contender | fresh (tracemalloc) | fresh (RSS) | half-fed (tracemalloc) | half-fed (RSS) |",
        "|---|---|---|---|---|",
    ]
    for name, m in results["memory"].items():
        lines.append(
            f"| {name} | {m['fresh']['tracemalloc']:,.0f} | {m['fresh']['rss']:,.0f} | "
            f"{m['half']['tracemalloc']:,.0f} | {m['half']['rss']:,.0f} |"
        )
    for engine, f in results.get("fresh_parser", {}).items():
        parts = ", ".join(f"{k} {v}" for k, v in f["objects"].items())
        lines.append("")
        lines.append(
            f"A fresh `Parser()` ({engine} engine): {f['tracemalloc']:,.0f} B by tracemalloc; "
            f"the objects it owns: {parts} (sys.getsizeof, {f['getsizeof_total']:,} B)."
        )
    v = results.get("gc_variants")
    if v:
        lines += [
            "",
            f"Collector settings at {v['streams']:,} streams ({v['engine']} engine): ns per delta "
            "(of which in collections; collections of generations 0 / 1 / 2):",
            "",
            "| setting | ns per delta | in collections | collections |",
            "|---|---|---|---|",
        ]
        for name, cell in v["rows"].items():
            counts = " / ".join(str(x) for x in cell["collections"])
            lines.append(f"| {name} | {cell['ns_per_delta']:,.0f} | {cell['gc_ns_per_delta']:,.0f} | {counts} |")
    return lines


def chart(results: dict[str, Any], out: Path = RESULTS / "gateway.png") -> Path:
    """Time per delta against open streams (log x), one line per contender."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    xs = [int(n) for n in results["streams"]]
    for name, row in results["cells"].items():
        ys = [row[str(n)]["ns_per_delta"] for n in xs]
        ours = name.startswith("midstream")
        (line,) = ax.plot(xs, ys, marker="o", label=name, linewidth=2.5 if ours else 1.2)
        est = [(x, y) for x, y in zip(xs, ys, strict=True) if row[str(x)].get("window")]
        if est:
            ax.plot(*zip(*est, strict=True), marker="o", linestyle="none", markerfacecolor="white", color=line.get_color())
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("open streams (deltas interleaved round-robin)")
    ax.set_ylabel("ns per ~4-character delta (value read after each)")
    ax.set_title("Gateway: time per delta vs open streams (hollow: timed on a window)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--streams", default=",".join(map(str, STREAMS)), help="comma-separated stream counts")
    ap.add_argument("--only", default=None, help="comma-separated contenders (e.g. midstream,jiter)")
    ap.add_argument("--no-variants", action="store_true", help="skip the collector-settings table")
    ap.add_argument("--json", type=Path, default=None, help="write the raw results here")
    ap.add_argument("--chart", type=Path, default=None, help=f"write the chart here (default {RESULTS / 'gateway.png'} with --json)")
    args = ap.parse_args(argv)
    streams = [int(x) for x in args.streams.split(",")]
    results = run(streams, args.only.split(",") if args.only else None, variants=not args.no_variants)
    print("\n".join(report(results)))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1))
    if args.chart or args.json:
        chart(results, args.chart or RESULTS / "gateway.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
