"""The benchmark harness runs (tiny sizes) and checks its results; its helpers do what they say.

(Collected by pytest beside ``tests/``: these test the benchmarks, not the library, so they run
once, on whichever engine is installed, rather than once per engine.)
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable
from pathlib import Path

import midstream
from benchmarks.__main__ import PURE, capped_time, standard_documents
from benchmarks.__main__ import main as bench_main
from support.docs import llm_document


def test_benchmark_harness_runs(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    # A standard document of our own: the real ones are not in the repository (see --corpus).
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "generated.json").write_text(llm_document(12_000), "utf-8")
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        args = ["--sizes", "500", "--cap", "0.5", "--jsonl-size", "50000", "--no-memory"]
        args += ["--corpus", str(tmp_path / "bench"), "--standard", "generated.json"]
        args += ["--jsonl-files", "amazon_cellphones.ndjson"]
        args += ["--sdk-runs", "1", "--importtime", "0", "--no-gateway"]  # (test_gateway.py)
        assert bench_main([*args, "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    assert results["engine"] == midstream.ENGINE
    assert results["partial"][0]["times"]["midstream"] > 0
    assert results["jsonl"]["records"] > 0
    [ndjson] = results["jsonl"]["corpus"]
    assert ndjson["name"] == "amazon_cellphones.ndjson" and ndjson["records"] == 793
    assert ndjson["times"]["midstream"] > 0 and ndjson["times"]["split + json.loads (exact)"] > 0
    assert results["events"][0]["times"]["midstream (str deltas)"] > 0
    # (a peer may differ, marked in the tables: jsontap's fractions are Decimal, jsonriver's
    # integers floats, ...; midstream never)
    assert not [name for name in results["events"][0].get("differs", []) if name.startswith("midstream")]
    [doc] = results["standard"]
    assert doc["name"] == "generated.json" and doc["deltas"] > 2000
    assert doc["times"]["midstream"] > 0 and doc["events"]["midstream (bytes deltas)"] > 0
    assert not [name for name in doc["differs"] if name.startswith("midstream")]
    # The correctness column: midstream's own record is clean on every input it read.
    for key in ("partial", "recorded"):
        ours = results["correctness"][key]["midstream"]
        assert ours["inputs"] > 0 and ours["final_ok"] == ours["inputs"] and ours["backwards"] == {}
    # JSONL in small deltas, str and bytes; the SDK rows, per provider.
    assert results["jsonl"]["deltas"]["times"]["midstream (str deltas)"] > 0
    for provider in ("openai", "anthropic"):
        sdk = results["sdk"][provider]
        assert sdk["streams"] > 0 and sdk["times"]["midstream updates(bytes)"] > 0 and len(sdk["times"]) == 4
    # With the compiled engine, every midstream row is measured again on the pure-Python one.
    pure = [name for name in doc["times"] if name.endswith(PURE)]
    assert pure == (["midstream" + PURE] if midstream.ENGINE == "compiled" else [])
    assert ("midstream ModelParser (parse + validate, every delta)" + PURE in results["validation"][0]["times"]) == (midstream.ENGINE == "compiled")


def test_standard_documents_absent_are_skipped_with_a_notice(tmp_path: Path) -> None:
    paths, notice = standard_documents(tmp_path / "absent", None)
    assert paths == [] and notice is not None and "--corpus" in notice
    (tmp_path / "a.json").write_text("[]")
    assert standard_documents(tmp_path, None) == ([tmp_path / "a.json"], None)
    paths, notice = standard_documents(tmp_path, ["a.json", "twitter.json"])
    assert paths == [tmp_path / "a.json"] and notice is not None and "twitter.json" in notice


def test_capped_time_extrapolates_past_the_cap() -> None:
    def quadratic(ds: list[str]) -> Callable[[], int]:
        def run() -> int:
            buf = ""
            for d in ds:
                buf += d
                buf.encode()  # touch the whole buffer: quadratic in len(ds)
            return len(buf)

        return run

    ds = ["abcd"] * 200_000
    t, differs = capped_time(quadratic, ds, cap=0.2, expected=800_000, budget=0.02)
    assert isinstance(t, dict) and t["over_cap"] == 0.2 and t["extrapolated"] > 0.2
    t, differs = capped_time(quadratic, ds[:2000], cap=5.0, expected=8000, budget=0.02)
    assert isinstance(t, float) and not differs


def test_memory_scenario_is_bounded() -> None:
    from benchmarks.memory import bench_memory

    m = bench_memory(jsonl_bytes=2_000_000, value_bytes=200_000)
    assert m["jsonl"]["peak"] < 1_000_000  # a chunk and a record, not the 2 MB stream
    assert m["value"]["peak_midstream"] < 2 * m["value"]["peak_json_loads_of_text"]


def test_hostile_benchmark_runs_and_checks_outcomes() -> None:
    from benchmarks.hostile import report, run

    rows = run(20_000, factor=2, runs=1)  # every case asserts its own outcome while it runs
    assert len(rows) == 14
    assert "ratio" in report(rows)


def test_targets_are_read_off_the_results() -> None:
    from benchmarks.targets import TARGETS, table

    partial = [
        {"size": 1_000, "times": {"midstream": 1.0, "midstream (feed only)": 0.9, "midstream" + PURE: 2.0, "jiter": 3.0, "slow": {"over_cap": 1, "extrapolated": 99.0}}},
        {"size": 10_000, "times": {"midstream": 10.0, "midstream (feed only)": 9.0, "midstream" + PURE: 20.0, "jiter": 150.0, "slow": 120.0}},
    ]
    events = [{"size": 10_000, "times": {"midstream (str deltas)": 1.0, "midstream (bytes deltas)": 1.2, "ijson items_coro (yajl2_c)": 0.5}}]
    results = {"engine": "compiled", "partial": partial, "events": events, "jsonl": {"times": {"midstream": 1.0, "split + orjson.loads": 0.95}}}
    rows = {line.split(" | ")[0].lstrip("| "): line for line in table(results)[2:]}
    assert len(rows) == len(TARGETS)
    assert rows["1. partial value: ≥ 2× faster than the fastest peer at ~1 KB"].endswith("| 3.00× ✓ | 1.50× ✗ |")
    assert rows["1. partial value: ≥ 10× faster than the fastest peer from 10 KB up (synthetic documents)"].endswith("| 12.00× ✓ | 6.00× ✗ |")
    assert "| 10.00× ✓ |" in rows["1. linear: time for 10× the document, worst step (≤ 11×)"]
    assert "| 11.11 % ✓ |" in rows["1. reading the partial value after every delta adds (≤ 25 %)"]
    assert "| 0.50× ✗ |" in rows["2. final value: ahead of ijson yajl2_c (its time ÷ ours, worst document)"]
    assert "| 1.20× ✓ |" in rows["2. bytes deltas cost ≤ 1.3× str deltas (worst document)"]
    assert "| 0.95× ✓ |" in rows["3. JSONL 64 KiB chunks: ≥ 0.9× the split + orjson limit (its time ÷ ours)"]
    assert rows["4. validation: ≤ 5× one model_validate_json (worst size from 10 KB)"].endswith("| – | – |")
    cell = {"ns_per_delta": 300.0, "deltas_per_s": 2e6}
    results["gateway"] = {
        "cells": {
            "midstream (compiled)": {"10": cell, "10000": {"ns_per_delta": 900.0, "deltas_per_s": 1.1e6}},
            "midstream (python)": {"10": cell, "10000": {"ns_per_delta": 600.0, "deltas_per_s": 1.6e6}},
        },
        "fresh_parser": {"compiled": {"tracemalloc": 456.3}, "python": {"tracemalloc": 1280.3}},
    }
    rows = {line.split(" | ")[0].lstrip("| "): line for line in table(results)[2:]}
    assert rows["5. gateway: time per delta at 10,000 streams ≤ 2.5× at 10"].endswith("| 3.00× ✗ | 2.00× ✓ |")
    assert rows["5. gateway: ≥ 1.5 M deltas/s per core at 10,000 streams (M deltas/s)"].endswith("| 1.10 M ✗ | 1.60 M ✓ |")
    assert rows["5. gateway: a fresh parser ≤ 512 B (B)"].endswith("| 456 B ✓ | 1,280 B ✗ |")


def test_importtime_reads_the_top_level_line() -> None:
    from benchmarks.importtime import cumulative_us, main

    sample = (
        "import time: self [us] | cumulative | imported package\n"
        "import time:       529 |      12464 |   json\n"
        "import time:      2025 |      53034 |   midstream.parser\n"
        "import time:      3569 |      81106 | midstream\n"
    )
    assert cumulative_us(sample, "midstream") == 81106
    assert cumulative_us(sample, "json") == 0  # imported by midstream: not a top-level line
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--runs", "1"]) == 0
    assert "| midstream |" in out.getvalue() and "first Parser() + feed" in out.getvalue()
    for peer in ("json", "jiter", "ijson"):  # their import + first parse too
        assert f"| {peer}: import + first" in out.getvalue()


def test_the_patches_benchmark_runs(tmp_path: Path) -> None:
    import io

    from benchmarks.patches import main as bench

    out = tmp_path / "r.json"
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        assert bench(["--sizes", "600", "--cap", "5", "--json", str(out)]) == 0
    results = json.loads(out.read_text())
    [row] = results["rows"]
    assert row["patch"] > row["bytes"] and row["snapshots"] > row["patch"] and row["times"]["patcher"] > 0
    assert results["corpus"]["patches"] < results["corpus"]["provider"]
    assert "| document |" in printed.getvalue()
