"""The ``midstream`` command through real pipes, with a slow writer: nothing is held back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "midstream", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
    )


def send(proc: subprocess.Popen[str], text: str) -> None:
    assert proc.stdin is not None
    proc.stdin.write(text)
    proc.stdin.flush()


def line(proc: subprocess.Popen[str]) -> Any:
    assert proc.stdout is not None
    return json.loads(proc.stdout.readline())


def test_jsonl_records_come_out_as_their_lines_complete() -> None:
    proc = start("parse", "--jsonl")
    try:
        send(proc, '{"a": 1}\n{"b": [1, 2')
        assert line(proc) == {"a": 1}  # printed while the writer is still writing
        send(proc, ']}\n{"c": "x')
        assert line(proc) == {"b": [1, 2]}
        send(proc, 'y"}')  # the last line has no newline: it completes at the end of input
        assert proc.stdin is not None
        proc.stdin.close()
        assert line(proc) == {"c": "xy"}
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()


def test_values_and_partial_values_stream_out() -> None:
    proc = start("parse", "--partial")
    try:
        send(proc, '{"title": "Stre')
        assert line(proc) == {"title": "Stre"}
        send(proc, 'aming", "n": [1')
        assert line(proc) == {"title": "Streaming", "n": []}  # 1 may still grow: not shown yet
        send(proc, "]} [2] ")
        assert line(proc) == {"title": "Streaming", "n": [1]}
        assert line(proc) == [2]
        assert proc.stdin is not None
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()


def test_bad_jsonl_lines_are_reported_and_later_records_still_come(tmp_path: Path) -> None:
    f = tmp_path / "in.jsonl"
    f.write_text('{"a": 1}\n{"a": }\n[3]\nnot json\n')
    out = subprocess.run([sys.executable, "-m", "midstream", "parse", "--jsonl", str(f)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert [json.loads(x) for x in out.stdout.splitlines()] == [{"a": 1}, [3]]
    errs = out.stderr.splitlines()
    assert len(errs) == 2 and errs[0].startswith("midstream: line 2: ParseError") and errs[1].startswith("midstream: line 4:")
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize(
    ("text", "kind"),
    [('{"a": [1, 2', "IncompleteJSONError"), ('{"a": 01}', "ParseError"), ("[1] x", "ParseError")],
)
def test_bad_input_is_one_line_and_a_nonzero_exit(text: str, kind: str) -> None:
    out = subprocess.run([sys.executable, "-m", "midstream", "parse"], input=text, capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert out.stderr.count("\n") == 1 and out.stderr.startswith(f"midstream: {kind}: ")


def test_model_validation(tmp_path: Path) -> None:
    (tmp_path / "shop.py").write_text("from pydantic import BaseModel\nclass Item(BaseModel):\n    name: str\n    qty: int\n")
    env = {"PYTHONPATH": str(tmp_path)}
    import os

    env = {**os.environ, **env}
    good = subprocess.run([sys.executable, "-m", "midstream", "parse", "--model", "shop:Item"], input='{"name": "bolt", "qty": "3"}', capture_output=True, text=True, env=env, timeout=60)
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout) == {"name": "bolt", "qty": 3}
    bad = subprocess.run([sys.executable, "-m", "midstream", "parse", "--model", "shop:Item"], input='{"name": "bolt", "qty": "x"}', capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 1 and "StreamValidationError" in bad.stderr and "qty" in bad.stderr
    missing = subprocess.run([sys.executable, "-m", "midstream", "parse", "--model", "shop:Nope"], input="{}", capture_output=True, text=True, env=env, timeout=60)
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1
