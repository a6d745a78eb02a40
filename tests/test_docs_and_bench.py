"""The README's example runs as shown; the benchmark harness runs (tiny sizes) and checks results."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from benchmarks.__main__ import main as bench_main
from tests.corpus import ROOT


def test_readme_example_prints_what_it_says() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    code = re.search(r"```python\n(.*?)```", readme, re.S)
    assert code is not None
    block = code.group(1)
    expected = [line.removeprefix("# ") for line in block.splitlines() if line.startswith("# {")]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, "README.md", "exec"), {})
    assert out.getvalue().splitlines() == expected
    assert len(expected) == 4


def test_readme_has_benchmark_tables() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("<!-- bench:start -->", 1)[1].split("<!-- bench:end -->", 1)[0]
    assert "### Partial value after every ~4-character delta" in section
    assert "### JSONL" in section


def test_benchmark_harness_runs(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert bench_main(["--sizes", "500", "--cap", "0.5", "--jsonl-size", "50000", "--no-memory", "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    assert results["partial"][0]["times"]["partialjson"] > 0
    assert results["jsonl"]["records"] > 0
    assert results["events"][0]["times"]["partialjson (str deltas)"] > 0
    assert not results["events"][0].get("differs")


def test_memory_scenario_is_bounded() -> None:
    from benchmarks.memory import bench_memory

    m = bench_memory(jsonl_bytes=2_000_000, value_bytes=200_000)
    assert m["jsonl"]["peak"] < 1_000_000  # a chunk and a record, not the 2 MB stream
    assert m["value"]["peak_partialjson"] < 2 * m["value"]["peak_json_loads_of_text"]


def test_hostile_benchmark_runs_and_checks_outcomes() -> None:
    from benchmarks.hostile import report, run

    rows = run(20_000, factor=2, runs=1)  # every case asserts its own outcome while it runs
    assert len(rows) == 14
    assert "ratio" in report(rows)


def test_readme_validation_example() -> None:
    """The ModelParser example, with stand-ins for the stream and the UI it names."""
    from partialjson import StreamValidationError

    readme = (ROOT / "README.md").read_text("utf-8")
    block = re.findall(r"```python\n(.*?)```", readme, re.S)[1]
    shown: list[Any] = []
    env: dict[str, Any] = {
        "llm_deltas": ['{"id": 7, "items": [{"name": "bo', 'lt", "qty": 3}, {"name": "nut", "qty": 5}', "]}"],
        "show_item": shown.append,
        "cancel_request": lambda: shown.append("cancelled"),
    }
    exec(compile(block, "README.md", "exec", dont_inherit=True), env)
    assert [item.name for item in shown] == ["bolt", "nut"]
    assert env["order"].id == 7
    env.update(llm_deltas=['{"id": 7, "items": [{"name": "bolt", "qty": "x"}'])
    with pytest.raises(StreamValidationError):
        exec(compile(block, "README.md", "exec", dont_inherit=True), env)
    assert shown[-1] == "cancelled"
