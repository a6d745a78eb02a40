"""The README chart picks midstream's two engines and the fastest peers at the largest size."""

from __future__ import annotations

from benchmarks.chart import chosen


def test_the_chart_draws_our_engines_and_the_fastest_peers() -> None:
    rows = [
        {"size": 1_000, "deltas": 250, "times": {
            "midstream": 1e-4, "midstream (feed only)": 5e-5, "midstream [pure Python]": 4e-4,
            "slow peer": 1e-3, "quadratic peer": 2e-4, "incremental peer": 2e-3, "absent at 1 MB": 1e-5}},
        {"size": 1_000_000, "deltas": 250_000, "times": {
            "midstream": 0.1, "midstream (feed only)": 0.05, "midstream [pure Python]": 0.4,
            "slow peer": 5.0, "quadratic peer": {"extrapolated": 900.0}, "incremental peer": 2.0}},
    ]
    assert chosen(rows, peers=2) == ["midstream", "midstream [pure Python]", "incremental peer", "slow peer"]
    assert chosen(rows, peers=9)[-2:] == ["quadratic peer", "absent at 1 MB"]
    rows[0]["differs"] = ["incremental peer"]  # its final value is not json.loads's: not drawn
    assert chosen(rows, peers=2) == ["midstream", "midstream [pure Python]", "slow peer", "quadratic peer"]
