"""The README's chart: time per delta against document size (partial value read after every
delta), midstream's two engines and the fastest peers, both axes logarithmic.

A flat line is a parser whose cost per delta does not depend on how much came before (O(n) for
the stream); a line rising with the size re-parses the growing buffer (O(n²)). Dashed: past the
time cap, extrapolated (see ``benchmarks/__main__.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: how many peers are drawn beside midstream (the fastest at the largest size each measured)
PEERS_DRAWN = 4


def _seconds(t: Any) -> float | None:
    if isinstance(t, dict):
        return float(t["extrapolated"])
    return None if t is None else float(t)


def chosen(rows: list[dict[str, Any]], peers: int = PEERS_DRAWN) -> list[str]:
    """midstream's two engines (value read after every delta, str deltas) and the ``peers``
    fastest other libraries at the largest size, among those whose final values are right."""
    names = list(rows[0]["times"])
    ours = [n for n in names if n.startswith("midstream") and "(" not in n]

    def cost(name: str) -> float:  # time per delta at the largest size (extrapolated or not)
        t = _seconds(rows[-1]["times"].get(name))
        return float("inf") if t is None else t / rows[-1]["deltas"]

    wrong = {n for r in rows for n in r.get("differs", ())}  # a final value not json.loads's
    others = sorted((n for n in names if not n.startswith("midstream") and n not in wrong), key=cost)
    return ours + others[:peers]


def draw(results: dict[str, Any], out: Path) -> None:
    import matplotlib  # (the bench extra's: imported here so that chosen() needs nothing)

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = results["partial"]
    engine = results.get("engine", "compiled")
    fig, ax = plt.subplots(figsize=(8, 4.8), dpi=110)
    for name in chosen(rows):
        xs: list[float] = []
        ys: list[float] = []
        xe: list[float] = []
        ye: list[float] = []
        for r in rows:
            raw = r["times"].get(name)
            t = _seconds(raw)
            if t is None:
                continue
            per = t / r["deltas"] * 1e6  # µs per delta
            if isinstance(raw, dict):
                xe.append(r["size"])
                ye.append(per)
            else:
                xs.append(r["size"])
                ys.append(per)
        ours = name.startswith("midstream")
        label = name.replace("midstream [pure Python]", "midstream, pure-Python engine")
        if name == "midstream":
            label = f"midstream, {engine} engine"
        (line,) = ax.plot(xs, ys, marker="o", label=label, linewidth=3 if ours else 1.3)
        if xe:
            ax.plot([*xs[-1:], *xe], [*ys[-1:], *ye], linestyle="--", color=line.get_color(), alpha=0.6)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("document size (characters), streamed in ~4-character deltas")
    ax.set_ylabel("µs per delta (partial value read after each)")
    ax.set_title("Cost of each delta as the document grows (lower is better; flat = O(n) stream)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
