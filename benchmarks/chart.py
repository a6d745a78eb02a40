"""The README's chart: time to stream a document (partial value read after every delta) against
document size, one line per library, both axes logarithmic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def draw(results: dict[str, Any], out: Path) -> None:
    rows = results["partial"]
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    for name in rows[0]["times"]:
        if "(feed only)" in name or "(bytes deltas)" in name:
            continue  # they lie on midstream's own line: the tables give them
        xs, ys, xe, ye = [], [], [], []
        for r in rows:
            t = r["times"].get(name)
            if isinstance(t, dict):  # over the cap: extrapolated, drawn dashed
                xe.append(r["size"])
                ye.append(t["extrapolated"])
            elif t is not None:
                xs.append(r["size"])
                ys.append(t)
        ours = name.startswith("midstream")
        label = f"{name} ({results.get('engine', 'python')} engine)" if name == "midstream" else name
        (line,) = ax.plot(xs, ys, marker="o", label=label, linewidth=2.5 if ours else 1.2)
        if xe:
            ax.plot([*xs[-1:], *xe], [*ys[-1:], *ye], linestyle="--", color=line.get_color(), alpha=0.6)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("document size (characters), ~4-character deltas")
    ax.set_ylabel("seconds for the whole stream (value read after every delta)")
    ax.set_title("Partial JSON while streaming (dashed: extrapolated past the time cap)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
