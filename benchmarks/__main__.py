"""Run the benchmarks: ``python3 dev.py bench`` (or ``python -m benchmarks`` in the venv).

Every library is timed in this one process, on the same inputs; each table gives absolute
times and the ratio to midstream measured in the same run. Raw results go to
``benchmarks/results/latest.json``.

Scenario "partial": a document arrives in seeded ~4-character deltas and the partial value is
read after every delta (the UI case). Peers that have no incremental state re-parse the growing
buffer at every delta; their cost grows with the square of the size, so a size whose time,
extrapolated from the previous one, exceeds the cap is not run and is reported as "> cap".

Scenario "jsonl": a JSONL text fed in 64 KiB chunks, against the limit of splitting lines and
calling ``orjson.loads`` on each.

Scenario "standard": the standard benchmark documents (twitter, citm_catalog, canada, ...) in
the same deltas, partial value read after every delta and final value only. A peer whose whole
run would pass the cap is timed on doubling prefixes of the deltas and extrapolated with the
exponent the last two prefixes show (marked as such). The documents are not in the repository:
``--corpus PATH`` names their folder (by default ``../shared/corpus/bench`` beside the project
root); where it is missing, their rows are skipped with a notice.

Import time (``import midstream`` in fresh interpreters, beside json, ijson and jiter) is a
separate command: ``python -m benchmarks.importtime``.

Engines: this process runs whichever engine ``midstream.ENGINE`` names (the compiled one when
it is installed); the pure-Python engine is then measured too, in a child process on the same
inputs (``MIDSTREAM_ENGINE=python``), and its rows are marked "[pure Python]".
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

import midstream
from benchmarks.events import Sink
from benchmarks.targets import PURE  # the mark of rows measured on the pure-Python engine
from midstream import JSONLParser, Parser
from support.corpus import JSONL, ROOT, STREAMS, load_streams, stream_deltas, stream_payloads
from support.docs import deltas, jsonl_text, llm_document, llm_models

RESULTS = Path(__file__).resolve().parent / "results"
SIZES = [1_000, 10_000, 100_000, 1_000_000]
#: Where the standard JSON benchmark documents are unless ``--corpus`` says otherwise.
STANDARD = ROOT.parent / "shared" / "corpus" / "bench"

#: Set by ``--only-midstream`` (the child process that measures the other engine): no peers.
ONLY_OURS = False


def best_time(fn: Callable[[], Any], min_total: float = 0.3, max_runs: int = 50) -> float:
    """Best wall time of ``fn()`` over repeated runs (at least one, ~min_total seconds)."""
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < max_runs and (not times or time.perf_counter() - start < min_total):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


# ---- scenario: partial value after every delta -------------------------------------------


def run_midstream(ds: list[str] | list[bytes]) -> Any:
    p = Parser()
    feed = p.feed
    for d in ds:
        feed(d)
        p.value  # noqa: B018 - reading the partial value is the point
    return p.close()


def run_midstream_feed_only(ds: list[str]) -> Any:
    from benchmarks.events import feed_all

    return feed_all(ds)


def partial_peers() -> dict[str, Callable[[list[str]], Any]]:
    peers: dict[str, Callable[[list[str]], Any]] = {}
    if ONLY_OURS:
        return peers
    try:
        import jiter

        def run_jiter(ds: list[str]) -> Any:
            bs = [d.encode() for d in ds]  # (encoding is not jiter's cost: done before timing)
            return lambda: _jiter(bs, jiter.from_json)

        peers["jiter (trailing-strings, re-parse)"] = run_jiter
    except ImportError:
        pass
    try:
        import partial_json_parser

        def run_pjp(ds: list[str]) -> Any:
            return lambda: _regrow(ds, partial_json_parser.loads)

        peers["partial-json-parser (re-parse)"] = run_pjp
    except ImportError:
        pass
    try:
        from pydantic import TypeAdapter

        any_adapter: Any = TypeAdapter(Any)

        def pydantic_partial(buf: str) -> Any:
            return any_adapter.validate_json(buf, experimental_allow_partial="trailing-strings")

        peers["pydantic experimental_allow_partial (re-parse)"] = lambda ds: lambda: _regrow(ds, pydantic_partial)
    except ImportError:
        pass
    try:
        import streamingjson

        def run_streamingjson(ds: list[str]) -> Any:
            def run() -> Any:
                lexer = streamingjson.Lexer()
                v = None
                for d in ds:
                    lexer.append_string(d)  # incremental, but completing the text is not
                    try:  # noqa: SIM105 - nothing to complete yet (whitespace): try again
                        v = json.loads(lexer.complete_json())
                    except ValueError:
                        pass
                return v

            return run

        peers["streamingjson (complete_json + json.loads)"] = run_streamingjson
    except ImportError:
        pass
    try:
        import asyncio

        import jsonriver

        def run_jsonriver(ds: list[str]) -> Any:
            async def deltas_() -> Any:
                for d in ds:
                    yield d

            async def consume() -> Any:
                v = None
                async for value in jsonriver.parse(deltas_()):
                    v = value  # each yield is the value so far
                return v

            return lambda: asyncio.run(consume())

        peers["jsonriver (Python port, incremental)"] = run_jsonriver
    except ImportError:
        pass
    try:
        import json_repair

        peers["json_repair (re-parse)"] = lambda ds: lambda: _regrow(ds, json_repair.loads)
    except ImportError:
        pass
    try:
        from langchain_core.utils.json import parse_partial_json

        peers["LangChain parse_partial_json (re-parse)"] = lambda ds: lambda: _regrow(ds, parse_partial_json)
    except ImportError:
        pass
    return peers


def _jiter(bs: list[bytes], from_json: Callable[..., Any]) -> Any:
    buf = b""
    v = None
    for b in bs:
        buf += b
        try:  # noqa: SIM105 - (leading whitespace only: it raises; a caller tries again)
            v = from_json(buf, partial_mode="trailing-strings")
        except ValueError:
            pass
    return v


def _regrow(ds: list[str], loads: Callable[[str], Any]) -> Any:
    buf = ""
    v = None
    for d in ds:
        buf += d
        if buf.strip():
            try:  # noqa: SIM105 - a peer that cannot read this prefix yet: a caller tries again
                v = loads(buf)
            except Exception:
                pass
    return v


def bench_partial(sizes: list[int], cap: float) -> list[dict[str, Any]]:
    rows = []
    peers = partial_peers()
    last: dict[str, tuple[int, float]] = {}
    for size in sizes:
        text = llm_document(size)
        ds = deltas(text)
        bds = [d.encode() for d in deltas(text)]
        expected = json.loads(text)
        assert run_midstream(ds) == expected
        row: dict[str, Any] = {"size": len(text), "deltas": len(ds), "times": {}}
        # (best of more runs than the peers get: the linearity target compares these across sizes)
        row["times"]["midstream"] = best_time(lambda ds=ds: run_midstream(ds), min_total=1.0)
        row["times"]["midstream (feed only)"] = best_time(
            lambda ds=ds: run_midstream_feed_only(ds), min_total=1.0
        )
        row["times"]["midstream (bytes deltas)"] = best_time(
            lambda bds=bds: run_midstream(bds), min_total=1.0
        )
        for name, make in peers.items():
            if name in last:
                prev_size, prev_t = last[name]
                guess = prev_t * (len(text) / prev_size) ** 2
                if guess > cap:
                    row["times"][name] = {"over_cap": cap, "extrapolated": guess}
                    continue
            fn = make(ds)
            t0 = time.perf_counter()
            result = fn()
            once = time.perf_counter() - t0
            if result != expected:  # kept, and marked in the table: a peer that differs
                row.setdefault("differs", []).append(name)
            t = once if once > cap / 4 else best_time(fn, min_total=min(cap / 2, 1.0), max_runs=5)
            row["times"][name] = t
            last[name] = (len(text), t)
        rows.append(row)
        print(f"  partial {len(text):>9,} chars done", file=sys.stderr, flush=True)
    return rows


# ---- scenarios 1 and 2 on the standard benchmark documents -----------------------------------


def capped_time(fn_for: Callable[[list[Any]], Callable[[], Any]], ds: list[Any], cap: float, expected: Any, budget: float = 0.5) -> tuple[Any, bool]:
    """``(time, differs)`` of ``fn_for(ds)()``; or, when the whole run would pass ``cap``, its
    extrapolation from doubling prefixes of ``ds`` (exponent fitted on the last two, 1..2)."""
    n = len(ds)
    k = min(n, 256)
    prev: tuple[int, float] | None = None
    while k < n:
        fn = fn_for(ds[:k])
        t0 = time.perf_counter()
        with contextlib.suppress(Exception):  # a peer may raise at the end of a cut document
            fn()
        t = time.perf_counter() - t0
        if t > budget:
            e = 2.0 if prev is None else min(2.0, max(1.0, math.log(t / prev[1]) / math.log(k / prev[0])))
            guess = t * (n / k) ** e
            if guess > cap:
                return {"over_cap": cap, "extrapolated": guess}, False
            break
        prev = (k, t)
        k = min(n, 2 * k)
    fn = fn_for(ds)
    t0 = time.perf_counter()
    result = fn()
    once = time.perf_counter() - t0
    t = once if once > budget else best_time(fn, min_total=budget, max_runs=5)
    return t, result != expected


def standard_documents(corpus: Path, names: list[str] | None) -> tuple[list[Path], str | None]:
    """The standard documents in ``corpus`` (those named, or all), and a notice of what is missing."""
    if not corpus.is_dir():
        return [], f"the standard benchmark documents are not at {corpus} (--corpus PATH): their rows are skipped"
    paths = [p for p in sorted(corpus.glob("*.json")) if names is None or p.name in names]
    absent = sorted(set(names or ()) - {p.name for p in paths})
    if (names is None and not paths) or absent:
        return paths, f"not in {corpus}: {', '.join(absent) or 'any *.json'} (skipped)"
    return paths, None


def bench_standard(paths: list[Path], cap: float) -> list[dict[str, Any]]:
    """Each standard document in ~4-character deltas: the partial value read after every delta
    (scenario 1, against the same peers) and the final value only (scenario 2)."""
    from benchmarks.events import runners

    peers = partial_peers()
    rows = []
    for path in paths:
        text = path.read_text("utf-8")
        ds = deltas(text)
        expected = json.loads(text)
        assert run_midstream(ds) == expected
        row: dict[str, Any] = {"name": path.name, "size": len(text), "deltas": len(ds), "times": {}, "events": {}, "differs": []}
        row["times"]["midstream"] = best_time(lambda ds=ds: run_midstream(ds), max_runs=5)
        for name, make in peers.items():
            t, differs = capped_time(make, ds, cap, expected, budget=0.25)
            row["times"][name] = t
            if differs:
                row["differs"].append(name)
        for name, fn in runners(text, ds, peers=not ONLY_OURS).items():
            if fn() != expected:
                row["differs"].append(name)
            row["events"][name] = best_time(fn, max_runs=5)
        rows.append(row)
        print(f"  standard {path.name} done", file=sys.stderr, flush=True)
    return rows


# ---- scenario 1 on the recorded LLM outputs --------------------------------------------------


def bench_recorded(cap: float) -> dict[str, Any]:
    """Every valid JSON channel of the recorded streams, fed in its recorded deltas."""
    channels = []
    for s in load_streams():
        found = stream_deltas(stream_payloads(s["name"]))
        for ch in s["json_channels"]:
            if ch["valid_json"]:
                text = (STREAMS / ch["file"]).read_text("utf-8")
                ds = next(d for d in found.values() if "".join(d) == text and len(d) == ch["deltas"])
                channels.append((json.loads(text), [d for d in ds if d]))
    total_chars = sum(len("".join(ds)) for _, ds in channels)
    total_deltas = sum(len(ds) for _, ds in channels)

    def ours() -> None:
        for _, ds in channels:
            run_midstream(ds)

    times: dict[str, Any] = {"midstream": best_time(ours)}
    differs = []
    for name, make in partial_peers().items():
        fns = [(expected, make(ds)) for expected, ds in channels]
        t0 = time.perf_counter()
        results = [fn() for _, fn in fns]
        once = time.perf_counter() - t0
        if any(r != e for r, (e, _) in zip(results, fns, strict=True)):
            differs.append(name)
        times[name] = once if once > cap / 4 else best_time(lambda fns=fns: [fn() for _, fn in fns], max_runs=5)
    return {"channels": len(channels), "chars": total_chars, "deltas": total_deltas, "times": times, "differs": differs}


# ---- scenario: JSONL in 64 KiB chunks --------------------------------------------------------


def jsonl_chunk_runners(data: bytes) -> dict[str, Callable[[], int]]:
    """JSONL ``data`` (one record per line, each line ended) read in 64 KiB chunks: midstream,
    the split-and-loads limits and ijson, each returning the number of records."""
    chunks = [data[k : k + 65536] for k in range(0, len(data), 65536)]

    def ours() -> int:
        p = JSONLParser()
        count = 0
        for c in chunks:
            count += len(p.feed(c))
        return count + len(p.close())

    def split_and(loads: Callable[[bytes], Any]) -> Callable[[], int]:
        def run() -> int:
            # Split the complete lines of each chunk and parse each, carrying the tail.
            tail = b""
            count = 0
            for c in chunks:
                buf = tail + c
                k = buf.rfind(b"\n")
                tail = buf[k + 1 :]
                count += len([loads(line) for line in buf[:k].split(b"\n")])
            return count

        return run

    runners: dict[str, Callable[[], int]] = {"midstream": ours}
    if not ONLY_OURS:  # (the child run measures midstream's rows only)
        runners["split + orjson.loads (limit; big ints become floats)"] = split_and(orjson.loads)
        runners["split + json.loads (exact)"] = split_and(json.loads)
        try:
            import ijson

            def run_ijson() -> int:
                return sum(1 for _ in ijson.items(_Reader(chunks), "", multiple_values=True))

            runners[f"ijson items multiple_values ({ijson.backend})"] = run_ijson
        except ImportError:
            pass
    return runners


def bench_jsonl(size: int, files: list[str] | None = None) -> dict[str, Any]:
    """The generated JSONL of ``size`` bytes (64 KiB chunks, and 4-byte deltas), and the corpus
    files named in ``files`` (all when None) in 64 KiB chunks."""
    data = jsonl_text(size)
    n = data.count(b"\n")
    runners = jsonl_chunk_runners(data)
    assert all(run() == n for run in runners.values())

    # The same records in ~4-character deltas (1 MB of them): records as their lines complete.
    small = data[: data.rfind(b"\n", 0, 1_000_000) + 1]
    ds = [small[k : k + 4] for k in range(0, len(small), 4)]
    small_n = small.count(b"\n")

    def ours_deltas() -> int:
        p = JSONLParser()
        feed = p.feed
        count = 0
        for d in ds:
            count += len(feed(d))
        return count + len(p.close())

    def limit_deltas() -> int:
        loads = orjson.loads
        pending: list[bytes] = []
        count = 0
        for d in ds:
            pending.append(d)
            if b"\n" in d:
                buf = b"".join(pending)
                k = buf.rfind(b"\n")
                count += len([loads(line) for line in buf[:k].split(b"\n")])
                pending = [buf[k + 1 :]]
        return count

    assert ours_deltas() == limit_deltas() == small_n
    delta_times: dict[str, Any] = {"midstream": best_time(ours_deltas, 1.0)}
    if not ONLY_OURS:
        delta_times["buffer + split + orjson.loads (limit; big ints become floats)"] = best_time(limit_deltas, 1.0)
        try:
            import ijson

            be = ijson.get_backend("yajl2_c")

            def ijson_deltas() -> int:
                items: list[Any] = []
                coro = be.items_coro(Sink(items), "", multiple_values=True, use_float=True)
                for d in ds:
                    coro.send(d)
                coro.close()
                return len(items)

            assert ijson_deltas() == small_n
            delta_times["ijson items_coro multiple_values (yajl2_c)"] = best_time(ijson_deltas, 1.0)
        except ImportError:
            pass
    corpus = []
    for path in sorted(JSONL.glob("*.*json*")):
        if files is not None and path.name not in files:
            continue
        real = path.read_bytes()
        count = real.count(b"\n")
        found = jsonl_chunk_runners(real)
        assert all(run() == count for run in found.values())
        times = {name: best_time(run) for name, run in found.items()}
        corpus.append({"name": path.name, "size": len(real), "records": count, "times": times})
    return {
        "size": len(data),
        "records": n,
        "chunk": 65536,
        "times": {name: best_time(run, 1.0) for name, run in runners.items()},
        "deltas": {"size": len(small), "records": small_n, "count": len(ds), "times": delta_times},
        "corpus": corpus,
    }


class _Reader:
    """A file-like object returning the given chunks (for ijson)."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._it = iter(chunks)

    def read(self, n: int = -1) -> bytes:
        return next(self._it, b"") if n != 0 else b""  # ijson probes the type with read(0)


# ---- scenario: final value from deltas (events only) ---------------------------------------------


def bench_events(sizes: list[int]) -> list[dict[str, Any]]:
    from benchmarks.events import runners

    rows = []
    for size in sizes:
        text = llm_document(size)
        ds = deltas(text)
        expected = json.loads(text)
        row: dict[str, Any] = {"size": len(text), "deltas": len(ds), "times": {}}
        for name, fn in runners(text, ds, peers=not ONLY_OURS).items():
            if fn() != expected:
                row.setdefault("differs", []).append(name)
            row["times"][name] = best_time(fn)
        rows.append(row)
        print(f"  events {len(text):>9,} chars done", file=sys.stderr, flush=True)
    return rows


# ---- scenario: validation while streaming ------------------------------------------------------


def bench_validation(sizes: list[int], cap: float) -> list[dict[str, Any]]:
    from pydantic import TypeAdapter, ValidationError

    from midstream import ModelParser

    model = llm_models()
    adapter = TypeAdapter(model)
    rows = []
    last: tuple[int, float] | None = None
    for size in sizes:
        text = llm_document(size)
        ds = deltas(text)
        expected = model.model_validate_json(text)

        def stream(ds: list[str] = ds) -> Any:
            p = ModelParser(model)
            for d in ds:
                p.feed(d)
            return p.close()

        def once(text: str = text) -> Any:
            return model.model_validate_json(text)

        def revalidate(ds: list[str] = ds) -> Any:
            # What streaming users do today: re-validate the growing buffer at every delta;
            # while required fields are still missing pydantic raises, and they try again.
            buf = ""
            v = None
            for d in ds:
                buf += d
                try:  # noqa: SIM105 - no context manager inside the peer's timed loop
                    v = adapter.validate_json(buf, experimental_allow_partial="trailing-strings")
                except ValidationError:
                    pass
            return v

        assert stream() == expected
        row: dict[str, Any] = {"size": len(text), "deltas": len(ds), "times": {}}
        row["times"]["midstream ModelParser (parse + validate, every delta)"] = best_time(stream)
        row["times"]["midstream Parser (parse only)"] = best_time(lambda ds=ds: run_midstream_feed_only(ds))
        if ONLY_OURS:
            rows.append(row)
            continue
        row["times"]["model_validate_json once at the end (the floor)"] = best_time(once)
        name = "pydantic experimental_allow_partial on the growing buffer"
        guess = last[1] * (len(text) / last[0]) ** 2 if last else 0.0
        if guess > cap:
            row["times"][name] = {"over_cap": cap, "extrapolated": guess}
        else:
            t = best_time(revalidate, min_total=min(cap / 2, 1.0), max_runs=3)
            row["times"][name] = t
            last = (len(text), t)
        rows.append(row)
        print(f"  validation {len(text):>9,} chars done", file=sys.stderr, flush=True)
    return rows


# ---- report ----------------------------------------------------------------------------------


def fmt_time(t: Any) -> str:
    if isinstance(t, dict):
        return f"> {t['over_cap']:.0f} s cap (extrapolated ~{t['extrapolated']:.0f} s)"
    if t < 1e-3:
        return f"{t * 1e6:.0f} µs"
    if t < 1:
        return f"{t * 1e3:.1f} ms"
    return f"{t:.2f} s"


def fmt_ratio(t: Any, ours: float) -> str:
    if isinstance(t, dict):
        return f"> {t['extrapolated'] / ours:,.0f}× (extrapolated)"
    return f"{t / ours:,.2f}×"


def size_table(rows: list[dict[str, Any]], ours: str, per_delta: bool = True) -> list[str]:
    """One line per library, one column per document size: time (and µs per delta) and the
    ratio to ``ours`` in the same run; a library whose final value differed is marked †."""
    out = ["| library | " + " | ".join(f"{r['size']:,} chars" for r in rows) + " |", "|---|" + "---|" * len(rows)]
    for name in rows[0]["times"]:
        cells = []
        for r in rows:
            t = r["times"].get(name)
            per = f", {t / r['deltas'] * 1e6:.2f} µs/delta" if per_delta and not isinstance(t, dict) else ""
            cells.append(f"{fmt_time(t)}{per} ({fmt_ratio(t, r['times'][ours])})")
        mark = " †" if any(name in r.get("differs", ()) for r in rows) else ""
        out.append(f"| {name}{mark} | " + " | ".join(cells) + " |")
    return out


def differs_note(rows: list[dict[str, Any]]) -> list[str]:
    if any(r.get("differs") for r in rows):
        return ["† its final value differs from `json.loads` of the document."]
    return []


def per_delta_table(times: dict[str, float], deltas: int, marked: Any = ()) -> list[str]:
    """One run: time, µs per delta and the ratio to midstream for each library."""
    ours = times["midstream"]
    out = ["| library | time | µs per delta | time ÷ midstream's |", "|---|---|---|---|"]
    for name, t in times.items():
        mark = " †" if name in marked else ""
        out.append(f"| {name}{mark} | {fmt_time(t)} | {t / deltas * 1e6:.2f} | {t / ours:,.2f}× |")
    return out


def doc_table(rows: list[dict[str, Any]], key: str, ours: str) -> list[str]:
    """One line per document: midstream's time, then every other library's ratio to it."""
    names = list(rows[0][key])
    head = ["document", "size", f"{ours} (µs/delta)", *names[1:]]
    out = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    for r in rows:
        base = r[key][ours]
        cells = [f"{r['name']}", f"{r['size'] / 1e3:,.0f} KB", f"{fmt_time(base)} ({base / r['deltas'] * 1e6:.2f})"]
        for name in names[1:]:
            t = r[key].get(name)
            mark = " †" if name in r["differs"] else ""
            cells.append("–" if t is None else fmt_ratio(t, base) + mark)
        out.append("| " + " | ".join(cells) + " |")
    return out


def report(results: dict[str, Any]) -> str:
    out = [f"Measured on {results['machine']} (2 cores, shared VM)."]
    if results.get("engine") == "compiled":
        out.append(
            "Rows named midstream run the compiled engine (the C engine, `_cengine.c`); rows "
            f"marked{PURE} run the pure-Python engine, in a child process on the same inputs."
        )
    from benchmarks.targets import table as targets_table

    out += ["", "### The targets, as measured in this run", ""]
    out += targets_table(results)
    out += ["", "### Partial value after every ~4-character delta", ""]
    out += size_table(results["partial"], "midstream")
    out += ["", "Ratios are time ÷ midstream's time (read after every delta) in the same run."]
    out += differs_note(results["partial"])
    out += ["", "![time per document size, log scale](benchmarks/results/partial.png)"]
    j = results["jsonl"]
    out += ["", f"### JSONL, {j['size']:,} bytes ({j['records']:,} records) in 64 KiB chunks", ""]
    out.append("| library | time | throughput | time ÷ midstream's |")
    out.append("|---|---|---|---|")
    ours = j["times"]["midstream"]
    for name, t in j["times"].items():
        out.append(f"| {name} | {fmt_time(t)} | {j['size'] / t / 1e6:.0f} MB/s | {t / ours:.2f}× |")
    out.append("")
    out.append(
        "A ratio above 1× means midstream is faster; the orjson limit is not exact "
        "(integers beyond 64 bits become floats), midstream is."
    )
    if j.get("corpus"):
        names = list(j["corpus"][0]["times"])
        out += ["", "Real NDJSON files (`tests/data/jsonl/`), the same way (time, and time ÷ midstream's):", ""]
        out += ["| file | size | records | " + " | ".join(names) + " |", "|---" * (3 + len(names)) + "|"]
        for f in j["corpus"]:
            ours_f = f["times"]["midstream"]
            cells = [f"{fmt_time(f['times'][name])} ({f['times'][name] / ours_f:.2f}×)" for name in names]
            out.append(f"| {f['name']} | {f['size'] / 1e6:.2f} MB | {f['records']:,} | " + " | ".join(cells) + " |")
    if "deltas" in j:
        d = j["deltas"]
        out += ["", f"The same records, {d['size']:,} bytes ({d['records']:,} records) in {d['count']:,} deltas of 4 bytes:", ""]
        out += per_delta_table(d["times"], d["count"])
    if results.get("recorded"):
        r = results["recorded"]
        out += [
            "",
            f"### The recorded LLM outputs: {r['channels']} JSON channels, {r['chars']:,} characters, "
            f"{r['deltas']:,} recorded deltas (partial value read after each)",
            "",
        ]
        out += per_delta_table(r["times"], r["deltas"], r["differs"])
        out += differs_note([r])
    if results.get("events"):
        ev = results["events"]
        out += ["", "### Final value from ~4-character deltas (no partial value read)", ""]
        out += size_table(ev, "midstream (str deltas)")
        out.append("")
        out.append("Ratios are time ÷ midstream's (str deltas) in the same run; the two `loads once` rows")
        out.append("parse the whole text in one call (the floor, no streaming).")
        out += differs_note(ev)
    if results.get("standard_notice"):
        out += ["", f"Note: {results['standard_notice']}."]
    if results.get("standard"):
        st = results["standard"]
        out += ["", "### The standard benchmark documents in ~4-character deltas", "", "Partial value read after every delta:", ""]
        out += doc_table(st, "times", "midstream")
        out += ["", "Final value only (no partial value read):", ""]
        out += doc_table(st, "events", "midstream (str deltas)")
        out += ["", "Cells are time ÷ midstream's in the same run (its own column gives the time); † marks a final value that differs from `json.loads`."]
    if results.get("memory"):
        from benchmarks.memory import report as memory_report

        out += ["", memory_report(results["memory"])]
    if results.get("validation"):
        v = results["validation"]
        out += ["", "### Validation while streaming (pydantic model of the same documents)", ""]
        out += size_table(v, "midstream ModelParser (parse + validate, every delta)", per_delta=False)
        out.append("")
        out.append("Ratios are time ÷ ModelParser's time in the same run: below 1× is faster than it.")
    return "\n".join(out)


def pure_engine_results(args: argparse.Namespace) -> dict[str, Any]:
    """The midstream rows of every scenario again, on the pure-Python engine (a child process)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "pure.json"
        cmd = [sys.executable, "-m", "benchmarks", "--only-midstream", "--no-memory", "--out", str(out)]
        cmd += ["--sizes", *map(str, args.sizes), "--jsonl-size", str(args.jsonl_size), "--corpus", str(args.corpus)]
        cmd += ["--standard", *args.standard] if args.standard is not None else []
        cmd += ["--jsonl-files", *args.jsonl_files] if args.jsonl_files is not None else []
        env = {**os.environ, "MIDSTREAM_ENGINE": "python"}
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
        return dict(json.loads(out.read_text()))


def merge_pure(into: Any, pure: Any) -> None:
    """Add the child's timings to ``into`` beside midstream's own rows, each name marked."""
    if isinstance(into, list) and into and isinstance(into[0], dict):  # rows, one per input
        for a, b in zip(into, pure, strict=True):
            merge_pure(a, b)
    elif isinstance(into, dict):
        for key, b in pure.items():
            if key in ("times", "events") and isinstance(b, dict):
                ours = {k: v for k, v in into[key].items() if k.startswith("midstream")}
                rest = {k: v for k, v in into[key].items() if k not in ours}
                into[key] = {**ours, **{k + PURE: v for k, v in b.items()}, **rest}
            elif key in into and isinstance(b, (dict, list)):
                merge_pure(into[key], b)


README = ROOT / "README.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def update_readme(tables: str) -> None:
    """Replace the README's benchmark section (between the markers) with ``tables``."""
    text = README.read_text("utf-8")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    README.write_text(f"{head}{START}\n{tables}\n{END}{tail}", "utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="benchmarks")
    ap.add_argument("--sizes", type=int, nargs="*", default=SIZES)
    ap.add_argument("--cap", type=float, default=20.0, help="seconds; longer peer runs are skipped")
    ap.add_argument("--jsonl-size", type=int, default=10_000_000)
    ap.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    ap.add_argument("--readme", action="store_true", help="write the tables into README.md")
    ap.add_argument("--no-memory", dest="memory", action="store_false", help="skip the memory scenario")
    ap.add_argument("--standard", nargs="*", metavar="NAME", help="only these standard documents (none: skip)")
    ap.add_argument(
        "--corpus",
        type=Path,
        default=STANDARD,
        help="the folder of the standard benchmark documents (default: ../shared/corpus/bench beside the project root)",
    )
    ap.add_argument("--jsonl-files", nargs="*", metavar="NAME", help="only these JSONL corpus files (none: skip)")
    ap.add_argument("--only-midstream", action="store_true", help=argparse.SUPPRESS)  # the child run
    args = ap.parse_args(argv)
    global ONLY_OURS
    ONLY_OURS = args.only_midstream
    standard, notice = standard_documents(args.corpus, args.standard) if args.standard != [] else ([], None)
    if notice and not ONLY_OURS:
        print(f"NOTICE: {notice}", file=sys.stderr, flush=True)
    results: dict[str, Any] = {
        "machine": f"{platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}, {platform.system()}",
        "engine": midstream.ENGINE,
        "partial": bench_partial(args.sizes, args.cap),
        "jsonl": bench_jsonl(args.jsonl_size, args.jsonl_files),
        "events": bench_events([s for s in args.sizes if s <= 100_000]),
        "recorded": bench_recorded(args.cap),
        "validation": bench_validation([s for s in args.sizes if s <= 100_000], args.cap),
        "standard": bench_standard(standard, args.cap),
    }
    if notice:
        results["standard_notice"] = notice
    if midstream.ENGINE == "compiled" and not ONLY_OURS:
        merge_pure(results, pure_engine_results(args))
    if args.memory:
        from benchmarks.memory import bench_memory

        results["memory"] = bench_memory()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1))
    if ONLY_OURS:  # the child run: its parent reports
        return 0
    tables = report(results)
    print(tables)
    try:
        from benchmarks.chart import draw

        draw(results, args.out.parent / "partial.png")
    except ImportError:
        print("(matplotlib not installed: no chart)", file=sys.stderr)
    if args.readme:
        update_readme(tables)
    return 0


if __name__ == "__main__":
    sys.exit(main())
