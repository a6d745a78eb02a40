"""Fuzzing in the suite: every seed and past finding through the oracles, and a short run of
each atheris harness (the long runs are described in fuzz/README.md)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from support.corpus import JSONL, ROOT, STREAMS, TEST_PARSING
from support.oracle import C_ENGINE, check_engines, check_jsonl, check_model, check_parser

REGRESSIONS = sorted((ROOT / "fuzz" / "regressions").iterdir())


@pytest.mark.parametrize("path", REGRESSIONS, ids=lambda p: p.name)
def test_regressions(path: Path) -> None:
    data = path.read_bytes()
    check_parser(data)
    check_jsonl(data)
    check_model(data)
    if C_ENGINE is not None:  # (required under CI: tests/test_engines_agree.py)
        check_engines(data)


def test_model_seeds_through_the_oracle() -> None:
    seeds = sorted((ROOT / "fuzz" / "seeds" / "model").iterdir())
    assert len(seeds) == 2
    for path in seeds:
        check_model(path.read_bytes())


def test_seed_corpus_through_the_oracles() -> None:
    seeds = sorted(TEST_PARSING.iterdir()) + sorted(STREAMS.glob("*.assembled.*"))
    for path in seeds:
        data = path.read_bytes()
        check_parser(data)
        check_jsonl(data)
    assert len(seeds) > 400
    for path in sorted(JSONL.glob("*.*json*")):
        check_jsonl(path.read_bytes())


@pytest.mark.parametrize(
    ("harness", "seeds"),
    [
        ("fuzz_parser.py", [TEST_PARSING, ROOT / "fuzz" / "regressions"]),
        ("fuzz_jsonl.py", [TEST_PARSING, ROOT / "fuzz" / "regressions"]),
        ("fuzz_model.py", [ROOT / "fuzz" / "seeds" / "model", TEST_PARSING]),
        *([("fuzz_engines.py", [TEST_PARSING, ROOT / "fuzz" / "regressions"])] if C_ENGINE else []),
    ],
)
def test_harness_smoke_run(harness: str, seeds: list[Path], tmp_path: Path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "fuzz" / harness),
            str(tmp_path),
            *map(str, seeds),
            "-max_total_time=12",
            "-max_len=4096",
            f"-artifact_prefix={tmp_path}/",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    done = re.search(r"Done (\d+) runs", run.stderr)
    assert run.returncode == 0 and done, run.stderr[-3000:]
    assert int(done.group(1)) > 100
