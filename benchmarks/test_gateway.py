"""The gateway benchmark's pieces do what they say (small N: these test the harness, not speed).

Round-robin feeding gives every stream, for every contender, exactly ``json.loads`` of its
document; a window brings every stream to the same place as feeding it delta by delta; the
report and the chart are made from a small run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks import gateway
from midstream import Parser


@pytest.fixture(scope="module")
def docs() -> list[tuple[str, list[str]]]:
    return gateway.documents(pool=5, size=600)


def test_documents_are_seeded_and_split_whole(docs: list[tuple[str, list[str]]]) -> None:
    assert docs == gateway.documents(pool=5, size=600)
    assert len({text for text, _ in docs}) == 5
    for text, ds in docs:
        assert "".join(ds) == text and all(ds)


@pytest.mark.parametrize("name", [c.name for c in gateway.contenders() if not isinstance(c, gateway.Harness)])
def test_round_robin_gives_every_stream_its_document(name: str, docs: list[tuple[str, list[str]]]) -> None:
    [c] = gateway.contenders([name])
    n = 12  # more streams than documents: some share one, each with its own state
    states, live = gateway._streams(c, docs, n)
    rounds = max(len(ds) for _, ds in docs)
    seen: list[list[Any]] = [[] for _ in range(n)]
    # the rounds in three calls, as a window would split them; the partial value read in between
    for r0, r1 in [(0, 7), (7, rounds // 2), (rounds // 2, rounds)]:
        c.rounds(live, r0, r1)
        for k, st in enumerate(states):
            seen[k].append(json.dumps(c.value(st)))
    for k, st in enumerate(states):
        text = docs[k % len(docs)][0]
        assert c.close(st) == json.loads(text)
        assert c.value(st) == json.loads(text)
    assert seen[0][0] != seen[0][1]  # the values grew between the calls


def test_each_stream_gets_one_delta_per_round_in_order(docs: list[tuple[str, list[str]]]) -> None:
    """The schedule itself, in the loop the parsers are timed in: round by round, one delta per
    stream still open, in stream order; a stream drops out when its document ends."""
    log: list[tuple[int, str]] = []

    class Recorder:
        value = None

        def __init__(self, k: int) -> None:
            self.k = k

        def feed(self, d: str) -> None:
            log.append((self.k, d))

    n = 7
    live: list[gateway.Pair] = [(Recorder(k), docs[k % len(docs)][1]) for k in range(n)]
    rounds = max(len(ds) for _, ds in docs)
    gateway.Midstream("python").rounds(live, 0, rounds)
    expected = [(k, ds[r]) for r in range(rounds) for k, (_, ds) in enumerate(live) if r < len(ds)]
    assert log == expected
    assert len({len(ds) for _, ds in live}) > 1  # (the documents do end at different rounds)


def test_window_brings_streams_to_the_same_place(docs: list[tuple[str, list[str]]]) -> None:
    """``forward`` (one chunk, untimed) then the window's rounds == every delta one by one."""
    for c in gateway.contenders():
        if isinstance(c, gateway.Harness):
            continue
        text, ds = docs[0]
        half = len(ds) // 2
        prefix = "".join(ds[:half])
        st = c.open()
        c.forward(st, prefix.encode() if c.takes_bytes else prefix)
        dls = [d.encode() for d in ds] if c.takes_bytes else ds
        c.rounds([(st, dls)], half, len(ds))
        assert c.close(st) == json.loads(text), c.name


def test_run_cell_checks_and_reports(docs: list[tuple[str, list[str]]]) -> None:
    c = gateway.Midstream("python")
    cell = gateway.run_cell(c, docs, 6, repeats=1)
    assert cell["deltas"] == sum(len(docs[k % len(docs)][1]) for k in range(6))
    assert cell["ns_per_delta"] > 0 and cell["window"] is None
    c.budget = 100  # a peer over its budget is timed on a window of rounds
    cell = gateway.run_cell(c, docs, 6, repeats=1)
    assert cell["window"] is not None and cell["deltas"] <= 6 * (100 // 6)


def test_bytes_per_parser_counts_what_it_owns() -> None:
    f = gateway.fresh_parser_bytes("python")
    assert f["objects"]["Parser"] == Parser.__basicsize__ + 16  # (its GC header)
    assert f["tracemalloc"] == pytest.approx(f["getsizeof_total"], rel=0.1)


def test_report_and_chart(tmp_path: Path) -> None:
    results = gateway.run([3, 6], names=["midstream", "(the loop alone)"], variants=False, pool=3, size=400, min_total=0)
    lines = gateway.report(results)
    assert any(line.startswith("| midstream (") for line in lines)
    json.dumps(results)  # JSON-able
    out = gateway.chart(results, tmp_path / "g.png")
    assert out.stat().st_size > 1000
