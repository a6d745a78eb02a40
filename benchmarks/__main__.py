"""Run the benchmarks: ``python3 dev.py bench`` (or ``python -m benchmarks`` in the venv).

Every library is timed in this one process, on the same inputs; each table gives absolute
times and the ratio to midstream measured in the same run. Raw results go to
``benchmarks/results/latest.json``.

Scenario "partial": a document arrives in seeded ~4-character deltas and the partial value is
read after every delta (the UI case). Peers that have no incremental state re-parse the growing
buffer at every delta; their cost grows with the square of the size, so a size whose time,
extrapolated from the previous one, exceeds the cap is not run and is reported as "> cap".

Scenario "jsonl": a JSONL text fed in 64 KiB chunks, against the limit of splitting lines and
calling ``orjson.loads`` on each; then 1 MB of the same records in seeded ~4-character deltas,
as str and as bytes (the same pieces encoded), against ijson's yajl2_c push interface
(``items_coro``, ``multiple_values=True``) on the bytes.

Scenario "standard": the standard benchmark documents (twitter, citm_catalog, canada, ...) in
the same deltas, partial value read after every delta and final value only. A peer whose whole
run would pass the cap is timed on doubling prefixes of the deltas and extrapolated with the
exponent the last two prefixes show (marked as such); their cap is half of ``--cap`` unless
``--standard-cap`` says otherwise (nineteen documents up to 3 MB: the whole cap made this
scenario alone some 14 minutes). The documents are not in the repository:
``--corpus PATH`` names their folder (by default ``../shared/corpus/bench`` beside the project
root); where it is missing, their rows are skipped with a notice.

Cold start (``import midstream`` and import + first parse, in fresh interpreters, beside json,
ijson and jiter) is the last section (``--importtime RUNS``, 0 to skip); alone it is
``python -m benchmarks.importtime``.

The peers, how each is run and why some are not: ``benchmarks/peers.py``. Every partial-value
run also gets a correctness column (``benchmarks/correctness.py``): the final value against
``json.loads`` with types, and the snapshots that go backwards, from an untimed run on the same
inputs. The SDK rows (``bench_sdk``) feed the recorded SSE bodies to what openai's and
anthropic's ``.stream()`` helpers run, against ``midstream.updates``.

Engines: this process runs whichever engine ``midstream.ENGINE`` names (the compiled one when
it is installed); the pure-Python engine is then measured too, in a child process on the same
inputs (``MIDSTREAM_ENGINE=python``), and its rows are marked "[pure Python]".
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.util
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
from benchmarks.correctness import check, same
from benchmarks.events import Sink
from benchmarks.peers import FINAL_ONLY, NOT_RUN, PARTIAL_ONLY_SYNTHETIC, Failed, Peer
from benchmarks.peers import partial_peers as _partial_peers
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


def partial_peers(synthetic: bool = False) -> dict[str, Peer]:
    """The peers of the partial-value scenarios (``benchmarks/peers.py``; none in the child run)."""
    return _partial_peers(ONLY_OURS, synthetic)


def midstream_steps(ds: list[str]) -> Any:
    """midstream's partial value after each delta, then its final value (for the checks)."""
    p = Parser()
    for d in ds:
        p.feed(d)
        yield p.value
    yield p.close()


#: midstream as a peer, for the correctness column (its timed rows are the ones above).
MIDSTREAM = Peer(lambda ds: lambda: run_midstream(ds), midstream_steps)
#: Inputs whose timed run took a peer longer than this (seconds) are not checked for it: the
#: untimed run of the correctness column would take as long again.
CHECK_LIMIT = 2.0
#: The largest synthetic document the correctness column reads (it checks every snapshot).
CHECK_SIZE = 10_000


def add_record(column: dict[str, Any], name: str, snaps: list[Any], c: dict[str, Any]) -> dict[str, Any]:
    """Add one input's check ``c`` (of ``snaps``) to ``name``'s record in ``column``."""
    rec: dict[str, Any] = column.setdefault(name, {"inputs": 0, "final_ok": 0, "snapshots": 0, "backwards": {}})
    rec["inputs"] += 1
    rec["final_ok"] += c["final_ok"]
    rec["snapshots"] += len(snaps)
    for kind, n in c["backwards"].items():
        rec["backwards"][kind] = rec["backwards"].get(kind, 0) + n
    return rec


def add_check(column: dict[str, Any], name: str, peer: Peer, ds: list[str], expected: Any) -> None:
    """Run ``peer`` on ``ds`` untimed, keeping every snapshot, and add its record to ``column``."""
    snaps, final = peer.snapshots(ds)
    rec = add_record(column, name, snaps, check(snaps, final, expected))
    if isinstance(final, Failed):
        rec.setdefault("raised", final.error)


def _failed(row: dict[str, Any], name: str, result: Any) -> bool:
    """Record a peer's run that raised (its time is meaningless: it stopped early)."""
    if isinstance(result, Failed):
        row.setdefault("failed", {})[name] = result.error
        row.setdefault("differs", []).append(name)
        return True
    return False


def bench_partial(sizes: list[int], cap: float, column: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The synthetic documents; ``column`` receives the correctness records (sizes up to
    CHECK_SIZE)."""
    rows = []
    peers = partial_peers(synthetic=True)
    last: dict[str, tuple[int, float]] = {}
    for size in sizes:
        text = llm_document(size)
        ds = deltas(text)
        bds = [d.encode() for d in deltas(text)]
        expected = json.loads(text)
        assert run_midstream(ds) == expected
        row: dict[str, Any] = {"size": len(text), "deltas": len(ds), "times": {}}
        checked = column is not None and len(text) <= CHECK_SIZE
        if column is not None and checked:
            add_check(column, "midstream", MIDSTREAM, ds, expected)
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
            if column is not None and checked and once <= CHECK_LIMIT:
                add_check(column, name, make, ds, expected)
            if _failed(row, name, result):
                continue
            if not same(result, expected):  # kept, and marked in the table: a peer that differs
                row.setdefault("differs", []).append(name)
            t = once if once > cap / 4 else best_time(fn, min_total=min(cap / 2, 1.0), max_runs=5)
            row["times"][name] = t
            last[name] = (len(text), t)
        rows.append(row)
        print(f"  partial {len(text):>9,} chars done", file=sys.stderr, flush=True)
    return rows


# ---- scenarios 1 and 2 on the standard benchmark documents -----------------------------------


def capped_time(fn_for: Callable[[list[Any]], Callable[[], Any]], ds: list[Any], cap: float, expected: Any, budget: float = 0.5) -> tuple[Any, bool | str]:
    """``(time, differs)`` of ``fn_for(ds)()``; or, when the whole run would pass ``cap``, its
    extrapolation from doubling prefixes of ``ds`` (exponent fitted on the last two, 1..2).
    ``differs`` is the error (a str) of a run that raised (see ``benchmarks.peers.Failed``)."""
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
    if isinstance(result, Failed):
        return once, result.error
    t = once if once > budget else best_time(fn, min_total=budget, max_runs=5)
    return t, not same(result, expected)


def standard_documents(corpus: Path, names: list[str] | None) -> tuple[list[Path], str | None]:
    """The standard documents in ``corpus`` (those named, or all), and a notice of what is missing."""
    if not corpus.is_dir():
        return [], f"the standard benchmark documents are not at {corpus} (--corpus PATH): their rows are skipped"
    paths = [p for p in sorted(corpus.glob("*.json")) if names is None or p.name in names]
    absent = sorted(set(names or ()) - {p.name for p in paths})
    if (names is None and not paths) or absent:
        return paths, f"not in {corpus}: {', '.join(absent) or 'any *.json'} (skipped)"
    return paths, None


#: The largest standard document the correctness column reads.
CHECK_STANDARD = 30_000


def bench_standard(paths: list[Path], cap: float, column: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Each standard document in ~4-character deltas: the partial value read after every delta
    (scenario 1, against the same peers) and the final value only (scenario 2); ``column``
    receives the correctness records (documents up to CHECK_STANDARD characters)."""
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
        checked = column is not None and len(text) <= CHECK_STANDARD
        if column is not None and checked:
            add_check(column, "midstream", MIDSTREAM, ds, expected)
        for name, make in peers.items():
            t, differs = capped_time(make, ds, cap, expected, budget=0.25)
            if isinstance(differs, str):
                row.setdefault("failed", {})[name] = differs
            else:
                row["times"][name] = t
            if differs:
                row["differs"].append(name)
            if column is not None and checked and not isinstance(t, dict) and t <= CHECK_LIMIT:
                add_check(column, name, make, ds, expected)
        for name, fn in runners(text, ds, peers=not ONLY_OURS).items():
            t0 = time.perf_counter()
            result = fn()
            once = time.perf_counter() - t0
            if not same(result, expected):
                row["differs"].append(name)
            # (a run over a second is its own time, as for the peers above: not run again)
            row["events"][name] = once if once > 1.0 else best_time(fn, max_runs=5)
        rows.append(row)
        print(f"  standard {path.name} done", file=sys.stderr, flush=True)
    return rows


# ---- scenario 1 on the recorded LLM outputs --------------------------------------------------


def bench_recorded(cap: float, column: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every valid JSON channel of the recorded streams, fed in its recorded deltas; ``column``
    receives the correctness records (every channel)."""
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
    failed: dict[str, str] = {}
    if column is not None:
        for expected, ds in channels:
            add_check(column, "midstream", MIDSTREAM, ds, expected)
    for name, make in partial_peers().items():
        fns = [(expected, make(ds)) for expected, ds in channels]
        t0 = time.perf_counter()
        results = [fn() for _, fn in fns]
        once = time.perf_counter() - t0
        if any(not same(r, e) for r, (e, _) in zip(results, fns, strict=True)):
            differs.append(name)
        raised = [r for r in results if isinstance(r, Failed)]
        if raised:  # (the row's time would include runs cut short: it is kept, and marked)
            failed[name] = f"{len(raised)} of {len(results)} channels raised, e.g. {raised[0].error}"
        times[name] = once if once > cap / 4 else best_time(lambda fns=fns: [fn() for _, fn in fns], max_runs=5)
        if column is not None and once <= CHECK_LIMIT * 5:
            for expected, ds in channels:
                add_check(column, name, make, ds, expected)
    return {"channels": len(channels), "chars": total_chars, "deltas": total_deltas, "times": times, "differs": differs, "failed": failed}


# ---- the SDKs' own accumulation, on the recorded SSE bodies ---------------------------------------


def bench_sdk(chunk: int = 256, runs: int = 5) -> dict[str, Any]:
    """What users run today inside the SDKs, fed the recorded SSE bodies of the corpus
    (``tests/data/llm-streams/*.sse``, cut in ``chunk``-byte pieces as off a socket), against
    ``midstream.updates`` doing the same job: the partial value of every channel after every
    event. The rows are those of ``python -m benchmarks.updates`` (see its docstring): the
    least CPU time of ``runs`` interleaved rounds."""
    if ONLY_OURS:
        return {}
    from functools import partial

    from benchmarks import updates as u

    engine = midstream.ENGINE
    out: dict[str, Any] = {"chunk": chunk}
    for provider, pattern in (("openai", "openai-chat__*.sse"), ("anthropic", "anthropic-messages__*.sse")):
        bodies = [p.read_bytes() for p in sorted(STREAMS.glob(pattern))]
        if not bodies or importlib.util.find_spec(provider) is None:  # (the SDKs: the test extra)
            print(f"NOTICE: no SDK rows for {provider} (SDK or bodies missing)", file=sys.stderr)
            continue
        streams = [u.chunked(b, chunk) for b in bodies]
        events = u.run_sdk_objects_only(provider, streams)
        u.same_final_values(provider, streams, engine)
        rows: list[tuple[str, Callable[[], int]]] = [
            ("midstream updates(bytes)", partial(u.run_midstream, streams, engine)),
            ("midstream updates(SDK objects)", partial(u.run_midstream_objects, provider, streams, engine)),
        ]
        if provider == "openai":
            state_args = u.openai_state_args(bodies)
            rows.append(("openai ChatCompletionStreamState (.stream()'s state, jiter partial mode)", partial(u.run_openai_state, streams, state_args)))
        else:
            rows.append(("anthropic accumulate_event (.stream()'s, from_json(buf, partial_mode=True) per delta)", partial(u.run_anthropic_accumulate, streams)))
        rows.append(("SDK decoding + objects only (the floor of any row from the SDK's objects)", partial(u.run_sdk_objects_only, provider, streams)))
        times = u.best_of_interleaved([fn for _, fn in rows], runs)
        correctness: dict[str, Any] = {}
        sdk_correctness(provider, streams, correctness, state_args if provider == "openai" else None)
        out[provider] = {
            "correctness": correctness,
            "streams": len(bodies),
            "bytes": sum(map(len, bodies)),
            "events": events,
            "times": {name: t for (name, _), t in zip(rows, times, strict=True)},
        }
    print("  sdk done", file=sys.stderr, flush=True)
    return out


def sdk_correctness(provider: str, streams: list[list[bytes]], column: dict[str, Any], state_args: Any = None) -> None:
    """The correctness records of the SDK rows and of ``midstream.updates`` on the tool-call
    channels (the channels both SDKs parse while they stream; openai's parsed content, under a
    ``response_format``, is not checked), each channel checked against ``json.loads`` of its
    whole text; a snapshot is taken when the channel's text grew."""
    import copy

    from benchmarks import updates as u

    def record(name: str, channels: dict[Any, tuple[list[Any], Any, str]]) -> None:
        for snaps, final, text in channels.values():
            try:
                expected = json.loads(text)
            except ValueError:  # a channel cut short (max tokens): not checked
                continue
            add_record(column, name, snaps, check(snaps, final, expected))

    ours: dict[Any, tuple[list[Any], Any, str]] = {}
    for k, chunks in enumerate(streams):
        try:
            for up in midstream.updates(chunks):
                if up.channel.kind not in ("tool_call", "tool_use"):
                    continue
                key = (k, up.channel)
                snaps, final, text = ours.get(key, ([], None, ""))
                if up.delta and not up.done:
                    snaps.append(copy.deepcopy(up.value))
                ours[key] = (snaps, up.result if up.done else final, text + up.delta)
        except ValueError:  # IncompleteStreamError: a body cut by max_tokens / length
            pass
    record(f"midstream updates(bytes) ({provider})", ours)

    theirs: dict[Any, tuple[list[Any], Any, str]] = {}
    if provider == "openai":
        from openai import LengthFinishReasonError
        from openai.lib.streaming.chat import ChatCompletionStreamState

        for k, chunks in enumerate(streams):
            state: Any = ChatCompletionStreamState(**state_args)
            try:
                for chunk in u.sdk_objects("openai", chunks):
                    for _ in state.handle_chunk(chunk):
                        pass
                    for choice in state.current_completion_snapshot.choices:
                        for j, tc in enumerate(choice.message.tool_calls or ()):
                            key = (k, choice.index, j)
                            snaps, _, text = theirs.get(key, ([], None, ""))
                            args = tc.function.arguments
                            if args != text:
                                snaps.append(copy.deepcopy(tc.function.parsed_arguments))
                            theirs[key] = (snaps, tc.function.parsed_arguments, args)
            except LengthFinishReasonError:
                pass
        record("openai ChatCompletionStreamState", theirs)
    else:
        from anthropic.lib.streaming._messages import accumulate_event

        for k, chunks in enumerate(streams):
            snapshot: Any = None
            bufs: dict[int, bytes] = {}
            message = -1
            for event in u.sdk_objects("anthropic", chunks):
                message += event.type == "message_start"
                snapshot = accumulate_event(event=event, current_snapshot=snapshot, json_bufs=bufs)
                if event.type != "content_block_delta" or event.delta.type != "input_json_delta" or not event.delta.partial_json:
                    continue
                block = snapshot.content[event.index]
                key = (k, message, event.index)
                snaps, _, text = theirs.get(key, ([], None, ""))
                snaps.append(copy.deepcopy(block.input))
                theirs[key] = (snaps, block.input, text + event.delta.partial_json)
        record("anthropic accumulate_event", theirs)


def sdk_report(sdk: dict[str, Any]) -> list[str]:
    out = [
        f"### Inside the SDKs: the recorded SSE bodies ({sdk['chunk']}-byte chunks), partial value of every channel after every event",
        "",
        "CPU time per stream (least of interleaved rounds); ratio to `midstream updates(bytes)` in the same run. "
        "The HTTP client is left out of every row; the SDK rows include the SDK's SSE decoding and "
        "event objects, as `.stream()` runs them.",
    ]
    for provider in ("openai", "anthropic"):
        if provider not in sdk:
            continue
        g = sdk[provider]
        ours = g["times"]["midstream updates(bytes)"]
        out += ["", f"{provider}: {g['streams']} streams, {g['bytes']:,} bytes, {g['events']:,} events", ""]
        out += ["| library | µs per stream | µs per event | time ÷ midstream's |", "|---|---|---|---|"]
        for name, t in g["times"].items():
            out.append(f"| {name} | {t / g['streams'] * 1e6:,.0f} | {t / g['events'] * 1e6:.2f} | {t / ours:.2f}× |")
        if g.get("correctness"):
            out += ["", f"Correctness on the {provider} tool-call channels (the value after each delta of a channel, as in the correctness section below):", ""]
            out += correctness_table(g["correctness"], "tool-call channels")
    return out


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

    # The same records in seeded ~4-character deltas (1 MB of them), as str and as the same
    # pieces encoded (bytes): records as their lines complete.
    small = data[: data.rfind(b"\n", 0, 1_000_000) + 1]
    sds = deltas(small.decode("utf-8"))
    ds = [d.encode() for d in sds]
    small_n = small.count(b"\n")

    def ours_deltas(ds: list[Any] = ds) -> int:
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

    assert ours_deltas() == limit_deltas() == ours_deltas(sds) == small_n
    delta_times: dict[str, Any] = {
        "midstream": best_time(ours_deltas, 1.0),
        "midstream (str deltas)": best_time(lambda: ours_deltas(sds), 1.0),
    }
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
            if not same(fn(), expected):
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
    for name in _names(rows, "times"):
        cells = []
        for r in rows:
            t = r["times"].get(name)
            if t is None:
                cells.append("raised" if name in r.get("failed", {}) else "–")
                continue
            per = f", {t / r['deltas'] * 1e6:.2f} µs/delta" if per_delta and not isinstance(t, dict) else ""
            cells.append(f"{fmt_time(t)}{per} ({fmt_ratio(t, r['times'][ours])})")
        mark = " †" if any(name in r.get("differs", ()) for r in rows) else ""
        out.append(f"| {name}{mark} | " + " | ".join(cells) + " |")
    return out


def _names(rows: list[dict[str, Any]], key: str) -> list[str]:
    """Every library named in the rows (timed or raised), in the order they first appear."""
    names: dict[str, None] = {}
    for r in rows:
        names.update(dict.fromkeys(r[key]))
        if key == "times":
            names.update(dict.fromkeys(r.get("failed", {})))
    return list(names)


def differs_note(rows: list[dict[str, Any]]) -> list[str]:
    out = []
    if any(r.get("differs") for r in rows):
        out.append("† its final value differs from `json.loads` of the document (types included: 1, 1.0 and true differ).")
    failed = {name: err for r in rows for name, err in r.get("failed", {}).items()}
    for name, err in failed.items():
        out.append(f"\n{name} raised ({err}): no time is given where it did.")
    return out


def correctness_table(column: dict[str, Any], what: str) -> list[str]:
    """One line per library: its final values right, and what its snapshots took back."""
    from benchmarks.correctness import KINDS

    out = [
        f"| library | final value = `json.loads` ({what}) | snapshots | " + " | ".join(f"backwards: {k}" for k in KINDS) + " |",
        "|---|---|---|" + "---|" * len(KINDS),
    ]
    for name, rec in column.items():
        final = f"{rec['final_ok']} of {rec['inputs']}" + (f" (raised: {rec['raised']})" if "raised" in rec else "")
        counts = [str(rec["backwards"].get(k, 0)) if rec["backwards"].get(k) else "0" for k in KINDS]
        out.append(f"| {name} | {final} | {rec['snapshots']:,} | " + " | ".join(counts) + " |")
    return out


def peers_note() -> list[str]:
    """The peers the issue names that have no row (or not in every scenario), and why."""
    out = ["", "Peers not run, and why:", ""]
    out += [f"* {name}: {why}." for name, why in NOT_RUN.items()]
    out += [f"* {name} (partial-value scenarios): {why}." for name, why in FINAL_ONLY.items()]
    out.append(
        f"* {PARTIAL_ONLY_SYNTHETIC}: only the synthetic documents (it needs a typed schema "
        "of the document; one is written for them)."
    )
    return out


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
    names = _names(rows, key)
    head = ["document", "size", f"{ours} (µs/delta)", *names[1:]]
    out = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    for r in rows:
        base = r[key][ours]
        cells = [f"{r['name']}", f"{r['size'] / 1e3:,.0f} KB", f"{fmt_time(base)} ({base / r['deltas'] * 1e6:.2f})"]
        for name in names[1:]:
            t = r[key].get(name)
            mark = " †" if name in r["differs"] else ""
            if t is None and name in r.get("failed", {}) and key == "times":
                cells.append("raised")
            else:
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
    out += peers_note()
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
        out += ["", f"The same records, {d['size']:,} bytes ({d['records']:,} records) in {d['count']:,} seeded ~4-character deltas, as bytes (the rows not marked str) and as str (the same pieces):", ""]
        out += per_delta_table(d["times"], d["count"])
        t = d["times"]
        if "midstream (str deltas)" in t:
            out += ["", f"str deltas cost {t['midstream (str deltas)'] / t['midstream']:.2f}× bytes deltas (aim ≤ 1.2×)."]
        ij = next((v for k, v in t.items() if k.startswith("ijson")), None)
        if ij is not None and "midstream (str deltas)" in t:
            out[-1] += (
                f" ijson yajl2_c takes {ij / t['midstream']:.2f}× our time on the bytes deltas, "
                f"{ij / t['midstream (str deltas)']:.2f}× our str-delta time (aim: > 1×)."
            )
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
    if results.get("sdk"):
        out += ["", *sdk_report(results["sdk"])]
    if results.get("correctness"):
        out += ["", "### Correctness of the partial values (the same inputs, an untimed run)", ""]
        out.append(
            "Final value equal to `json.loads` of the text, types included (1, 1.0 and true differ); "
            "then, over every pair of successive snapshots (the value after each delta, then the final "
            "value), what a later snapshot takes back, counted once per place: a number that changes "
            "(shown cut), a key or element that disappears, a type that changes (a null placeholder "
            "then the value counts), a string that is not a prefix of its later value, any other "
            f"change. A library is not checked on an input whose timed run took it over {CHECK_LIMIT:.0f} s."
        )
        what = {
            "partial": f"synthetic documents up to {CHECK_SIZE:,} chars",
            "recorded": "recorded channels",
            "standard": f"standard documents up to {CHECK_STANDARD:,} chars",
        }
        for key, column in results["correctness"].items():
            if column:
                out += ["", f"{what[key].capitalize()}:", ""]
                out += correctness_table(column, what[key])
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
    if results.get("importtime"):
        out += ["", "### Cold start: import, and import + first parse", "", *results["importtime"]]
    if results.get("validation"):
        v = results["validation"]
        out += ["", "### Validation while streaming (pydantic model of the same documents)", ""]
        out += size_table(v, "midstream ModelParser (parse + validate, every delta)", per_delta=False)
        out.append("")
        out.append("Ratios are time ÷ ModelParser's time in the same run: below 1× is faster than it.")
    if results.get("gateway"):
        from benchmarks.gateway import report as gateway_report

        out += ["", *gateway_report(results["gateway"])]
        out += ["", "![time per delta against open streams, log scale](benchmarks/results/gateway.png)"]
    if results.get("durations"):
        d = results["durations"]
        parts = ", ".join(f"{k} {v:.0f} s" for k, v in d.items())
        out += ["", f"This run took {sum(d.values()) / 60:.1f} min: {parts}."]
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
    ap.add_argument(
        "--standard-cap",
        type=float,
        default=None,
        help="seconds, the cap of the standard documents (default: half of --cap; 19 documents, "
        "up to 3 MB: with the whole cap, they alone took some 14 minutes on this machine)",
    )
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
    ap.add_argument("--no-sdk", dest="sdk", action="store_false", help="skip the SDK rows (recorded SSE bodies)")
    ap.add_argument("--sdk-runs", type=int, default=5, help="interleaved rounds of the SDK rows (default 5)")
    ap.add_argument("--importtime", type=int, default=20, metavar="RUNS", help="fresh interpreters per cold-start row (0: skip; default 20)")
    ap.add_argument("--no-gateway", dest="gateway", action="store_false", help="skip the gateway scenario (benchmarks/gateway.py)")
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
    }
    column: dict[str, dict[str, Any]] | None = None if ONLY_OURS else {"partial": {}, "recorded": {}, "standard": {}}
    durations: dict[str, float] = {}

    def timed(key: str, fn: Callable[[], Any]) -> None:
        t0 = time.perf_counter()
        results[key] = fn()
        durations[key] = time.perf_counter() - t0
        print(f"  ({key}: {durations[key]:.0f} s)", file=sys.stderr, flush=True)

    timed("partial", lambda: bench_partial(args.sizes, args.cap, column and column["partial"]))
    timed("jsonl", lambda: bench_jsonl(args.jsonl_size, args.jsonl_files))
    timed("events", lambda: bench_events([s for s in args.sizes if s <= 100_000]))
    timed("recorded", lambda: bench_recorded(args.cap, column and column["recorded"]))
    timed("sdk", lambda: bench_sdk(runs=args.sdk_runs) if args.sdk else {})
    timed("validation", lambda: bench_validation([s for s in args.sizes if s <= 100_000], args.cap))
    standard_cap = args.cap / 2 if args.standard_cap is None else args.standard_cap
    timed("standard", lambda: bench_standard(standard, standard_cap, column and column["standard"]))
    if column is not None:
        results["correctness"] = column
    if notice:
        results["standard_notice"] = notice
    if midstream.ENGINE == "compiled" and not ONLY_OURS:
        t0 = time.perf_counter()
        merge_pure(results, pure_engine_results(args))
        durations["pure-Python engine (child process)"] = time.perf_counter() - t0
    if args.memory:
        from benchmarks.memory import bench_memory

        timed("memory", bench_memory)
    if args.importtime and not ONLY_OURS:
        from benchmarks.importtime import table as importtime_table

        timed("importtime", lambda: importtime_table(args.importtime))
    if args.gateway and not ONLY_OURS:
        from benchmarks import gateway

        timed("gateway", lambda: gateway.run(min_total=0.5))
    results["durations"] = durations
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1))
    if ONLY_OURS:  # the child run: its parent reports
        return 0
    tables = report(results)
    print(tables)
    try:
        from benchmarks.chart import draw

        draw(results, args.out.parent / "partial.png")
        if results.get("gateway"):
            from benchmarks.gateway import chart as gateway_chart

            gateway_chart(results["gateway"], args.out.parent / "gateway.png")
    except ImportError:
        print("(matplotlib not installed: no chart)", file=sys.stderr)
    if args.readme:
        update_readme(tables)
    return 0


if __name__ == "__main__":
    sys.exit(main())
