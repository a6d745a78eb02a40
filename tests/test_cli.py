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


from support.corpus import STREAMS  # noqa: E402


def run_cli(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "midstream", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_sse_channels_come_out_as_each_completes() -> None:
    chunk = 'data: {{"choices": [{{"index": 0, "delta": {{"tool_calls": [{{"index": {i}, "id": "c{i}", "function": {{"name": "f{i}", "arguments": {args}}}}}]}}}}]}}\n\n'
    proc = start("parse", "--sse")
    try:
        send(proc, chunk.format(i=0, args=json.dumps('{"city": "Par')))
        send(proc, chunk.format(i=0, args=json.dumps('is"}')))
        send(proc, chunk.format(i=1, args=json.dumps('{"n": [1, ')))
        first = line(proc)  # the first call is complete: printed before the second one is
        assert first == {"channel": {"provider": "openai", "kind": "tool_call", "choice": 0, "index": 0, "id": "c0", "name": "f0"}, "value": {"city": "Paris"}, "done": True}
        send(proc, chunk.format(i=1, args=json.dumps("2]}")) + "data: [DONE]\n\n")
        assert line(proc)["value"] == {"n": [1, 2]}
        assert proc.stdin is not None
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()


def test_sse_every_recorded_body() -> None:
    for body in sorted(STREAMS.glob("*.sse")):
        out = run_cli("parse", "--sse", str(body))
        name = body.name[: -len(".sse")]
        lines = [json.loads(x) for x in out.stdout.splitlines()]
        done = sorted(json.dumps(v["value"], sort_keys=True) for v in lines if v["done"] and v["value"] is not None)
        assembled = sorted(json.dumps(json.loads(a.read_text()), sort_keys=True) for a in STREAMS.glob(f"{name}.*assembled.json"))
        assert done == assembled, name  # every JSON channel printed once, with its whole value
        if out.returncode:  # a recording cut by a token limit: what was received, then one line
            assert "IncompleteStreamError" in out.stderr and out.stderr.count("\n") == 1, name
            assert lines and lines[-1]["done"] is False, name
        else:
            assert out.stderr == "", name


def test_demo_in_two_acts_as_plain_lines() -> None:
    out = run_cli("demo", "--delay", "0")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "# act 1: 114 recorded deltas through midstream.updates(stream, model=Party)"
    assert lines[3].endswith('{"characters": [{"name": "Th"}]}')
    assert "# act 1: complete; every part validated the moment it closed (✓)" in lines
    cancel = next(x for x in lines if x.startswith("# act 2: the upstream was closed at once: "))
    read = int(cancel.split(": ")[2].split(" of ")[0])
    assert 0 < read < 114  # stopped when "class": "thief" closed, not at the end
    assert any("invalid at characters.2.class" in x for x in lines)


def test_demo_replays_a_raw_sse_file_and_reports_a_cut_one(tmp_path: Path) -> None:
    name = "openai-chat__openai-python__non_pydantic_response_format__2024-09-26"
    out = run_cli("demo", "--delay", "0", "--file", str(STREAMS / f"{name}.sse"))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == f"# replaying 179 deltas from {STREAMS / name}.sse" and lines[-1] == "# complete"
    assert lines[-2].split()[1] == "✓" and lines[-2].endswith('"condition": "Cloudy"}]}')
    f = tmp_path / "cut.jsonl"
    f.write_text('{"choices": [{"index": 0, "delta": {"content": "{\\"a\\": [1"}}]}\n')
    out = run_cli("demo", "--delay", "0", "--file", str(f))
    assert out.returncode == 1 and "# stopped: IncompleteStreamError" in out.stdout


def test_watch_draws_a_live_tree_in_a_terminal() -> None:
    import os
    import pty

    body = STREAMS / "openai-chat__openai-python__parse_multiple_pydantic_tools__2024-08-06.sse"
    pid, fd = pty.fork()
    if pid == 0:  # the child: the command, its stdout a terminal
        os.execvpe(sys.executable, [sys.executable, "-m", "midstream", "watch", "--sse", str(body)], {**os.environ, "COLUMNS": "100"})
    chunks = []
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    _, status = os.waitpid(pid, 0)
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert os.waitstatus_to_exitcode(status) == 0, screen
    assert "tool_call GetWeatherArgs ✓" in screen and "tool_call get_stock_price ✓" in screen
    assert "city: \"Edinburgh\"" in screen and "\x1b[" in screen  # drawn with colours, in place


def test_watch_prints_plain_lines_through_a_pipe() -> None:
    out = run_cli("watch", stdin='{"a": [1, "x"]}')
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1].endswith('{"a": [1, "x"]}') and "✓" in out.stdout.splitlines()[-1]
