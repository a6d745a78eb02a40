"""The performance targets, read off one run's results: what each is, what was measured, met or not.

Each ratio comes from timings of the same run (``results`` as ``benchmarks/__main__.py`` saves
them); a time over the cap counts as its extrapolation. Every target is given for the engine this
run measured in-process (``results["engine"]``) and, when there are rows marked "[pure Python]",
for the pure-Python engine too.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from typing import Any

PURE = " [pure Python]"


def _t(t: Any) -> float:
    return float(t["extrapolated"]) if isinstance(t, dict) else float(t)


def _peers(times: dict[str, Any]) -> list[float]:
    return [_t(t) for name, t in times.items() if not name.startswith("midstream")]


def _by_name(times: dict[str, Any], prefix: str) -> float | None:
    found = [_t(t) for name, t in times.items() if name.startswith(prefix)]
    return found[0] if found else None


#: (target, how to read it from (results, suffix) -> measured value or None, the test on it)
Target = tuple[str, Callable[[dict[str, Any], str], float | None], Callable[[float], bool]]


def _vs_fastest_peer(rows: list[dict[str, Any]], sfx: str) -> float | None:
    """The worst ratio, over ``rows``, of the fastest peer's time to midstream's."""
    if not rows:
        return None
    return min(min(_peers(row["times"])) / _t(row["times"]["midstream" + sfx]) for row in rows)


def _s1_small(r: dict[str, Any], sfx: str) -> float | None:
    return _vs_fastest_peer(r["partial"][:1], sfx)


def _s1_large(r: dict[str, Any], sfx: str) -> float | None:
    return _vs_fastest_peer([row for row in r["partial"] if row["size"] >= 9_000], sfx)


def _s1_standard(r: dict[str, Any], sfx: str) -> float | None:
    return _vs_fastest_peer([row for row in r.get("standard", []) if row["size"] >= 9_000], sfx)


def _s1_linear(r: dict[str, Any], sfx: str) -> float | None:
    rows = r["partial"]
    name = "midstream" + sfx
    steps = [
        (_t(b["times"][name]) / _t(a["times"][name])) * 10 / (b["size"] / a["size"])
        for a, b in pairwise(rows)
    ]
    return max(steps) if steps else None


def _s1_read(r: dict[str, Any], sfx: str) -> float | None:
    ratios = [
        _t(row["times"]["midstream" + sfx]) / _t(row["times"]["midstream (feed only)" + sfx])
        for row in r["partial"]
        if "midstream (feed only)" + sfx in row["times"]
    ]
    return (max(ratios) - 1) * 100 if ratios else None


def _events(r: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    """Every final-value row: the synthetic documents and the standard ones."""
    rows = [(row["times"], "midstream (str deltas)") for row in r.get("events", [])]
    rows += [(row["events"], "midstream (str deltas)") for row in r.get("standard", [])]
    return rows


def _s2_vs(prefix: str) -> Callable[[dict[str, Any], str], float | None]:
    def measure(r: dict[str, Any], sfx: str) -> float | None:
        ratios = []
        for times, ours in _events(r):
            peer = _by_name(times, prefix)
            if peer is not None:
                ratios.append(peer / _t(times[ours + sfx]))
        return min(ratios) if ratios else None

    return measure


def _s2_bytes(r: dict[str, Any], sfx: str) -> float | None:
    ratios = [
        _t(times["midstream (bytes deltas)" + sfx]) / _t(times[ours + sfx]) for times, ours in _events(r)
    ]
    return max(ratios) if ratios else None


def _s3(prefix: str) -> Callable[[dict[str, Any], str], float | None]:
    def measure(r: dict[str, Any], sfx: str) -> float | None:
        times = r["jsonl"]["times"]
        peer = _by_name(times, prefix)
        return None if peer is None else peer / _t(times["midstream" + sfx])

    return measure


def _s3_str(r: dict[str, Any], sfx: str) -> float | None:
    times = r["jsonl"]["deltas"]["times"]
    return _t(times["midstream (str deltas)" + sfx]) / _t(times["midstream" + sfx])


def _s3_str_vs_ijson(r: dict[str, Any], sfx: str) -> float | None:
    times = r["jsonl"]["deltas"]["times"]
    peer = _by_name(times, "ijson items_coro multiple_values (yajl2_c)")
    return None if peer is None else peer / _t(times["midstream (str deltas)" + sfx])


MODEL = "midstream ModelParser (parse + validate, every delta)"


def _s4_floor(r: dict[str, Any], sfx: str) -> float | None:
    rows = [row for row in r.get("validation", []) if row["size"] >= 9_000]
    return max((_t(row["times"][MODEL + sfx]) / _t(row["times"][_floor(row)]) for row in rows), default=None)


def _floor(row: dict[str, Any]) -> str:
    return next(name for name in row["times"] if name.startswith("model_validate_json once"))


def _s4_revalidate(r: dict[str, Any], sfx: str) -> float | None:
    rows = [row for row in r.get("validation", []) if 9_000 <= row["size"] <= 11_000]
    if not rows:
        return None
    row = rows[0]
    peer = _by_name(row["times"], "pydantic experimental_allow_partial")
    return None if peer is None else peer / _t(row["times"][MODEL + sfx])


def _gateway_row(r: dict[str, Any], sfx: str) -> dict[str, Any] | None:
    g = r.get("gateway")
    if not g:
        return None
    row: dict[str, Any] | None = g["cells"].get("midstream (python)" if sfx else "midstream (compiled)")
    return row


def _g_growth(r: dict[str, Any], sfx: str) -> float | None:
    row = _gateway_row(r, sfx)
    if row is None or "10" not in row or "10000" not in row:
        return None
    return float(row["10000"]["ns_per_delta"]) / float(row["10"]["ns_per_delta"])


def _g_rate(r: dict[str, Any], sfx: str) -> float | None:
    row = _gateway_row(r, sfx)
    return None if row is None or "10000" not in row else float(row["10000"]["deltas_per_s"]) / 1e6


def _g_fresh(r: dict[str, Any], sfx: str) -> float | None:
    g = r.get("gateway")
    fresh = g and g.get("fresh_parser", {}).get("python" if sfx else "compiled")
    return float(fresh["tracemalloc"]) if fresh else None


TARGETS: list[Target] = [
    ("1. partial value: ≥ 2× faster than the fastest peer at ~1 KB", _s1_small, lambda x: x >= 2),
    ("1. partial value: ≥ 10× faster than the fastest peer from 10 KB up (synthetic documents)", _s1_large, lambda x: x >= 10),
    ("1. partial value: ≥ 10× faster than the fastest peer (standard documents from 10 KB)", _s1_standard, lambda x: x >= 10),
    ("1. linear: time for 10× the document, worst step (≤ 11×)", _s1_linear, lambda x: x <= 11),
    ("1. reading the partial value after every delta adds (≤ 25 %)", _s1_read, lambda x: x <= 25),
    ("2. final value: ahead of ijson yajl2_c (its time ÷ ours, worst document)", _s2_vs("ijson items_coro (yajl2_c)"), lambda x: x >= 1),
    ("2. final value: ≥ 3× faster than ijson's pure-Python backend (worst document)", _s2_vs("ijson items_coro (python)"), lambda x: x >= 3),
    ("2. bytes deltas cost ≤ 1.3× str deltas (worst document)", _s2_bytes, lambda x: x <= 1.3),
    ("3. JSONL 64 KiB chunks: ≥ 0.9× the split + orjson limit (its time ÷ ours)", _s3("split + orjson"), lambda x: x >= 0.9),
    ("3. JSONL 64 KiB chunks: ≥ 1.5× faster than ijson yajl2_c", _s3("ijson items multiple_values (yajl2_c)"), lambda x: x >= 1.5),
    ("3. JSONL ~4-character deltas: str ≤ 1.2× bytes", _s3_str, lambda x: x <= 1.2),
    ("3. JSONL ~4-character deltas: ahead of ijson yajl2_c on the bytes (its time ÷ our str time)", _s3_str_vs_ijson, lambda x: x >= 1),
    ("4. validation: ≤ 5× one model_validate_json (worst size from 10 KB)", _s4_floor, lambda x: x <= 5),
    ("4. validation: ≥ 10× faster than re-validating the buffer at every delta, 10 KB", _s4_revalidate, lambda x: x >= 10),
    ("5. gateway: time per delta at 10,000 streams ≤ 2.5× at 10", _g_growth, lambda x: x <= 2.5),
    ("5. gateway: ≥ 1.5 M deltas/s per core at 10,000 streams (M deltas/s)", _g_rate, lambda x: x >= 1.5),
    ("5. gateway: a fresh parser ≤ 512 B (B)", _g_fresh, lambda x: x <= 512),
]


def _cell(target: Target, results: dict[str, Any], sfx: str) -> str:
    text, measure, ok = target
    try:
        value = measure(results, sfx)
    except KeyError:  # a row this run did not measure
        value = None
    if value is None:
        return "–"
    unit = " %" if "adds" in text else " M" if "(M deltas/s)" in text else " B" if "(B)" in text else "×"
    number = f"{value:,.0f}" if unit == " B" else f"{value:,.2f}"
    return f"{number}{unit} {'✓' if ok(value) else '✗'}"


def table(results: dict[str, Any]) -> list[str]:
    engine = results.get("engine", "python")
    pure = engine == "compiled" and any(name.endswith(PURE) for name in results["partial"][0]["times"])
    head = ["target", f"{engine} engine"] + (["pure-Python engine"] if pure else [])
    out = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    for target in TARGETS:
        cells = [target[0], _cell(target, results, "")]
        if pure:
            cells.append(_cell(target, results, PURE))
        out.append("| " + " | ".join(cells) + " |")
    return out
