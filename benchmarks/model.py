"""ModelParser's cost, against pydantic in the same process (the validation targets).

    python -m benchmarks.model [--sizes 1000,10000,100000] [--runs 7] [--json PATH]

Synthetic LLM-style documents and their nested model (``benchmarks.docs``), cut into seeded
~4-character deltas, and documents nested 1,000 deep. Each time is the best of ``--runs`` runs,
the rows of one table measured in turns so that a busy machine slows them alike. Rows:

* ``validate``: ModelParser, every delta fed, then ``close()`` (the result is checked against
  ``model_validate_json``);
* ``validate + partial``: the same, reading ``.partial`` after every delta (what a UI does);
* ``parse``: Parser on the same deltas (no validation);
* ``validate_json once``: ``model_validate_json`` of the whole text (the floor);
* ``allow_partial``: pydantic's ``experimental_allow_partial`` on the growing buffer after every
  delta (what streaming code without midstream does), measured up to ``--cap`` seconds and
  extrapolated quadratically beyond (it is O(n²)).

The depth table feeds a document nested 1,000 deep (82 KB; pydantic's JSON parser refuses it
past its depth limit, which ModelParser reports when the stream gets there, then parses on), and
the same shape at 1 MB, to ModelParser and to Parser.

Targets (the issue "ModelParser, correct by construction"): validate at most 5 times
validate_json once at 10 KB and 100 KB; validate + partial at most 2 times validate;
allow_partial at least 100 times validate at 100 KB; validate within 10 times parse at depth
1,000.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from support.docs import deltas, llm_document, llm_models

Timer = Callable[[], Any]


#: the clock: CPU time of this thread (``--wall`` for wall-clock time): on a shared machine, time
#: spent waiting for a core is not ours
clock = time.thread_time


def best(fns: dict[str, Timer], runs: int) -> dict[str, float]:
    """Best time of each function over ``runs`` rounds, the functions taking turns."""
    out = {name: float("inf") for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():
            t = clock()
            fn()
            out[name] = min(out[name], clock() - t)
    return out


def validation(size: int, runs: int, cap: float) -> dict[str, Any]:
    from pydantic import TypeAdapter, ValidationError

    from midstream import ModelParser, Parser

    model = llm_models()
    adapter = TypeAdapter(model)
    text = llm_document(size)
    ds = deltas(text)
    expected = model.model_validate_json(text)

    def validate() -> Any:
        p = ModelParser(model)
        feed = p.feed
        for d in ds:
            feed(d)
        return p.close()

    def validate_partial() -> Any:
        p = ModelParser(model)
        for d in ds:
            p.feed(d)
            p.partial  # noqa: B018
        return p.close()

    def parse() -> Any:
        p = Parser()
        feed = p.feed
        for d in ds:
            feed(d)
        return p.close()

    def once() -> Any:
        return model.model_validate_json(text)

    def allow_partial(ds: list[str] = ds) -> Any:
        buf = ""
        v = None
        for d in ds:
            buf += d
            try:  # noqa: SIM105
                v = adapter.validate_json(buf, experimental_allow_partial="trailing-strings")
            except ValidationError:
                pass
        return v

    assert validate() == expected and validate_partial() == expected
    times = best({"validate": validate, "validate + partial": validate_partial, "parse": parse, "validate_json once": once}, runs)
    # pydantic on the growing buffer: O(n²); measured on a prefix when the whole would pass the cap
    k = len(ds)
    t = 0.0
    while True:
        t0 = clock()
        allow_partial(ds[:k])
        t = clock() - t0
        if k == len(ds) or t > cap / 4:
            break
        k = min(len(ds), k * 2)
    if k == len(ds):
        times["allow_partial"] = t
    else:
        n = sum(map(len, ds[:k]))
        times["allow_partial"] = t * (len(text) / n) ** 2
        times["allow_partial (extrapolated)"] = 1.0
    return {"size": len(text), "deltas": len(ds), "times": times}


def nested(depth: int, pad: int) -> str:
    return ('{"v": 1, "s": "' + "x" * pad + '", "c": ') * depth + "{}" + "}" * depth


def depth_row(text: str, runs: int) -> dict[str, Any]:
    from pydantic import BaseModel

    from midstream import ModelParser, Parser, StreamValidationError

    class Nest(BaseModel):
        v: int = 0
        s: str = ""
        c: Nest | None = None

    pieces = deltas(text)

    def validate() -> None:
        p = ModelParser(Nest)
        for d in pieces:
            with contextlib.suppress(StreamValidationError):  # (past pydantic's depth limit:
                p.feed(d)  # reported once, then parsed)

    def parse() -> None:
        p = Parser()
        for d in pieces:
            p.feed(d)

    return {"size": len(text), "deltas": len(pieces), "times": best({"validate": validate, "parse": parse}, runs)}


def fmt(t: float) -> str:
    return f"{t * 1e3:.2f} ms" if t < 1 else f"{t:.2f} s"


def report(rows: list[dict[str, Any]], deep: list[dict[str, Any]], engine: str) -> str:
    out = [f"ModelParser, {engine} engine (best of runs; ratios in the same process)", ""]
    out.append("| size | deltas | validate | + partial | parse | validate_json once | allow_partial | validate ÷ once | partial ÷ validate | allow_partial ÷ validate |")
    out.append("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        t = r["times"]
        ap = fmt(t["allow_partial"]) + (" (extrapolated)" if "allow_partial (extrapolated)" in t else "")
        out.append(
            f"| {r['size']:,} | {r['deltas']:,} | {fmt(t['validate'])} | {fmt(t['validate + partial'])} | {fmt(t['parse'])} "
            f"| {fmt(t['validate_json once'])} | {ap} | {t['validate'] / t['validate_json once']:.2f}× "
            f"| {t['validate + partial'] / t['validate']:.2f}× | {t['allow_partial'] / t['validate']:.0f}× |"
        )
    out += ["", "| nested document | deltas | validate | parse | validate ÷ parse |", "|---|---|---|---|---|"]
    for r in deep:
        t = r["times"]
        out.append(f"| {r['label']} ({r['size']:,} chars) | {r['deltas']:,} | {fmt(t['validate'])} | {fmt(t['parse'])} | {t['validate'] / t['parse']:.2f}× |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--cap", type=float, default=20.0, help="seconds for the allow_partial peer")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--no-depth", action="store_true")
    ap.add_argument("--wall", action="store_true", help="wall-clock time instead of CPU time")
    args = ap.parse_args(argv)
    global clock
    if args.wall:
        clock = time.perf_counter
    import midstream

    rows = []
    for size in map(int, args.sizes.split(",")):
        rows.append(validation(size, args.runs, args.cap))
        print(f"  validation {size:,} done", file=sys.stderr, flush=True)
    deep = []
    if not args.no_depth:
        for label, text in (("1,000 deep", nested(1000, 60)), ("1,000 deep, 1 MB", nested(1000, 1040)), ("190 deep (valid)", nested(190, 400))):
            row = depth_row(text, max(3, args.runs // 2))
            row["label"] = label
            deep.append(row)
            print(f"  depth {label} done", file=sys.stderr, flush=True)
    print(report(rows, deep, midstream.ENGINE))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"engine": midstream.ENGINE, "validation": rows, "depth": deep}, fh, indent=1)


if __name__ == "__main__":
    main()
