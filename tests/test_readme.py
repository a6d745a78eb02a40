"""The README's examples run and print what it says they print."""

from __future__ import annotations

import contextlib
import io
import re
from typing import Any

import pytest

from support.corpus import ROOT


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


def test_readme_validation_example() -> None:
    """The ModelParser example, with stand-ins for the stream and the UI it names."""
    from midstream import StreamValidationError

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


def test_readme_events_example_prints_what_it_says() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    block = next(b for b in re.findall(r"```python\n(.*?)```", readme, re.S) if "on_event=" in b)
    expected = [line.removeprefix("# ") for line in block.splitlines() if line.startswith(("# grew", "# done"))]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, "README.md", "exec", dont_inherit=True), {})
    assert out.getvalue().splitlines() == expected
    assert len(expected) == 5
