"""Patches: bytes sent and time per delta (``python -m benchmarks.patches``).

For LLM-shaped documents of 1 KB to 1 MB (``benchmarks/docs.py``) in seeded ~4-character
deltas:

* **bytes**: the operations as a server sends them (:func:`midstream.patches.ops_json`, UTF-8),
  with and without the SSE framing, with completion marks, and with the operations taken every
  16 deltas (a relay that flushes on a timer: appends to one string merge), each ÷ the document's
  bytes; and ÷ what re-sending the whole partial value after every delta costs (computed exactly
  up to ``--exact`` deltas, above that on every k-th delta times k). LangDiff's change tracker
  (``EfficientJSONPatchChangeTracker``, fed by its own parser and streaming models of the same
  document) when ``langdiff`` is installed; its parser re-parses the whole buffer at every delta,
  so sizes whose run would pass ``--cap`` seconds are not run.
* **time** per delta: parsing alone; with a do-nothing event consumer; with a :class:`Patcher`
  and ``take()`` after every delta; plus writing the operations as JSON; the whole SSE stream.
  ``--profile`` prints cProfile's top functions for the patcher run on the largest size.
* **corpus**: the recorded LLM streams' SSE bodies as the providers sent them ÷ the patch
  stream of their JSON channels.

The engine is ``MIDSTREAM_ENGINE``'s (``--engine`` to choose); every run checks that the patches
rebuild ``json.loads(text)``.
"""

# (no "from __future__ import annotations": LangDiff reads its models' annotations as types)

import argparse
import cProfile
import io
import json
import math
import pstats
import sys
import time
from collections.abc import Callable
from typing import Any

import orjson

from benchmarks.__main__ import best_time
from midstream import Parser, Patcher, apply_patch, patches
from midstream.patches import ops_json, patches_sse
from support.docs import deltas, llm_document

SIZES = [1_000, 10_000, 100_000, 1_000_000]


def patch_bytes(ds: list[str], engine: str | None, every: int = 1, marks: bool = False) -> tuple[int, Any]:
    """Bytes of the operations taken every ``every`` deltas, and the document they build."""
    patcher = Patcher(marks=marks)
    p = Parser(on_event=patcher, engine=engine)
    total = 0
    doc: Any = None
    for k, d in enumerate(ds, 1):
        p.feed(d)
        if k % every == 0 or k == len(ds):
            ops = patcher.take()
            if ops:
                total += len(ops_json(ops).encode())
                doc = apply_patch(doc, ops)
    p.close()
    ops = patcher.take()
    if ops:
        total += len(ops_json(ops).encode())
        doc = apply_patch(doc, ops)
    return total, doc


def snapshot_bytes(ds: list[str], engine: str | None, exact: int) -> tuple[int, bool]:
    """Bytes of the whole partial value re-sent after every delta (exact, or every k-th times k)."""
    k = max(1, -(-len(ds) // exact))
    p = Parser(engine=engine)
    total = 0
    for i, d in enumerate(ds):
        p.feed(d)
        if i % k == k - 1 or i == len(ds) - 1:
            total += len(orjson.dumps(p.value)) * (k if i % k == k - 1 else (i % k) + 1)
    return total, k == 1


# ---- LangDiff: its parser, streaming models of the document, its change tracker ---------------


def langdiff_bytes(ds: list[str], cap: float) -> tuple[int | None, str]:
    """Bytes of LangDiff's EfficientJSONPatchChangeTracker on the same deltas (None: not run).

    Its streaming models and UI models mirror :func:`benchmarks.docs.llm_document`; the UI
    document starts with every field (empty) and the handlers fill it as LangDiff's examples
    do. Its operations are applied with :func:`midstream.apply_patch` and must rebuild the
    document (the UI document's fields are the document's, in the same order)."""
    try:
        import langdiff as ld
        from pydantic import BaseModel
    except ImportError:
        return None, "langdiff is not installed (pip install langdiff)"

    class Meta(ld.Object):
        rank: ld.Atom[int]
        ratio: ld.Atom[float]
        note: ld.String

    class Item(ld.Object):
        id: ld.Atom[int]
        name: ld.String
        score: ld.Atom[float]
        tags: ld.List[ld.String]
        active: ld.Atom[bool]
        parent: ld.Atom[int | None]
        meta: Meta

    class Document(ld.Object):
        title: ld.String
        summary: ld.String
        items: ld.List[Item]

    class UIMeta(BaseModel):
        rank: int | None = None
        ratio: float | None = None
        note: str = ""

    class UIItem(BaseModel):
        id: int | None = None
        name: str = ""
        score: float | None = None
        tags: list[str] = []
        active: bool | None = None
        parent: int | None = None
        meta: UIMeta | None = None

    class UIDocument(BaseModel):
        title: str = ""
        summary: str = ""
        items: list[UIItem] = []

    def text_into(s: Any, target: Any, name: str) -> None:
        s.on_append(lambda chunk: setattr(target, name, getattr(target, name) + chunk))

    def atom_into(a: Any, target: Any, name: str) -> None:
        a.on_complete(lambda v: setattr(target, name, v))

    def run(part: list[str]) -> tuple[int, Any]:
        initial = UIDocument()
        root = [{"op": "add", "path": "", "value": initial.model_dump()}]
        rebuilt = apply_patch(None, root)  # (what a client of these operations holds)
        ui, buf = ld.track_change(initial, ld.EfficientJSONPatchChangeTracker)
        total = len(orjson.dumps(root))
        doc = Document()
        text_into(doc.title, ui, "title")
        text_into(doc.summary, ui, "summary")

        @doc.items.on_append
        def item(it: Any, i: int) -> None:
            ui.items.append(UIItem())
            t = ui.items[i]
            for name in ("id", "score", "active", "parent"):
                atom_into(getattr(it, name), t, name)
            text_into(it.name, t, "name")

            @it.tags.on_append
            def tag(s: Any, j: int) -> None:
                t.tags.append("")
                s.on_append(lambda chunk: t.tags.__setitem__(j, t.tags[j] + chunk))

            @it.meta.on_start
            def meta() -> None:
                t.meta = UIMeta()
                m = t.meta
                atom_into(it.meta.rank, m, "rank")
                atom_into(it.meta.ratio, m, "ratio")
                text_into(it.meta.note, m, "note")

        with ld.Parser(doc) as parser:
            for d in part:
                parser.push(d)
                ops = buf.flush()
                if ops:
                    total += len(orjson.dumps(ops))
                    rebuilt = apply_patch(rebuilt, ops)
        ops = buf.flush()
        if ops:
            total += len(orjson.dumps(ops))
            rebuilt = apply_patch(rebuilt, ops)
        return total, rebuilt

    # (quadratic: time a prefix first, and skip what would pass the cap)
    head = ds[: min(len(ds), 2000)]
    t0 = time.perf_counter()
    run(head)
    t = time.perf_counter() - t0
    if len(ds) > len(head) and t * (len(ds) / len(head)) ** 2 > cap:
        return None, f"not run: its parser re-parses the buffer at every delta (~{t * (len(ds) / len(head)) ** 2:,.0f} s)"
    total, rebuilt = run(ds)
    if rebuilt != json.loads("".join(ds)):
        return total, "(its operations do not rebuild the document)"
    return total, ""


# ---- the tables ----------------------------------------------------------------------------


def human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000
    return str(n)


def measure(size: int, engine: str | None, exact: int, cap: float, timing: bool) -> dict[str, Any]:
    text = llm_document(size)
    ds = deltas(text)
    doc_bytes = len(text.encode())
    expected = json.loads(text)
    row: dict[str, Any] = {"size": size, "bytes": doc_bytes, "deltas": len(ds)}
    row["patch"], doc = patch_bytes(ds, engine)
    assert doc == expected, "the patches do not rebuild the document"
    row["sse"] = sum(len(f.encode()) for f in patches_sse(ds, engine=engine))
    row["marks"], doc = patch_bytes(ds, engine, marks=True)
    assert doc == expected
    row["every16"], doc = patch_bytes(ds, engine, every=16)
    assert doc == expected
    row["snapshots"], row["snapshots_exact"] = snapshot_bytes(ds, engine, exact)
    row["langdiff"], row["langdiff_note"] = langdiff_bytes(ds, cap)
    if timing:
        row["times"] = times(ds, engine)
    return row


def times(ds: list[str], engine: str | None, rounds_max: int = 15) -> dict[str, float]:
    """Seconds per delta of each way of running the stream (best of interleaved rounds)."""

    def parse() -> None:
        p = Parser(engine=engine)
        for d in ds:
            p.feed(d)
        p.close()

    def events() -> None:
        p = Parser(on_event=lambda e: None, engine=engine)
        for d in ds:
            p.feed(d)
        p.close()

    def patcher(write: bool = False) -> None:
        pt = Patcher()
        p = Parser(on_event=pt, engine=engine)
        take = pt.take
        for d in ds:
            p.feed(d)
            ops = take()
            if write and ops:
                ops_json(ops)
        p.close()

    def sse() -> None:
        for _ in patches_sse(ds, engine=engine):
            pass

    runs: dict[str, Callable[[], Any]] = {
        "parse": parse,
        "events": events,
        "patcher": patcher,
        "patcher+json": lambda: patcher(True),
        "sse": sse,
    }
    # Interleaved rounds, best of each: a busy machine slows all of them alike.
    best = dict.fromkeys(runs, math.inf)
    start = time.perf_counter()
    rounds = 0
    while rounds < 3 or (rounds < rounds_max and time.perf_counter() - start < 5.0):
        for name, fn in runs.items():
            best[name] = min(best[name], best_time(fn, min_total=0.0, max_runs=1))
        rounds += 1
    return {name: t / len(ds) for name, t in best.items()}


def corpus(engine: str | None) -> dict[str, int]:
    """Provider SSE bytes of the recorded streams vs the patch SSE of their JSON channels."""
    from support.corpus import STREAMS as base
    from support.corpus import stream_deltas

    provider = ours = channels = 0
    for s in json.loads((base / "index.json").read_text("utf-8")):
        sse = base / f"{s['name']}.sse"
        if not sse.is_file() or not s["json_channels"]:
            continue
        lines = (base / f"{s['name']}.jsonl").read_text("utf-8").splitlines()
        chans = stream_deltas([json.loads(x) for x in lines if x.strip()])
        provider += len(sse.read_bytes())
        for ch in s["json_channels"]:
            assembled = (base / ch["file"]).read_text("utf-8")
            found = [d for d in chans.values() if "".join(d) == assembled and len(d) == ch["deltas"]]
            if found:
                channels += 1
                ours += sum(len(f.encode()) for f in patches_sse(found[0], engine=engine))
    return {"provider": provider, "patches": ours, "channels": channels}


def report(rows: list[dict[str, Any]], corp: dict[str, int] | None, engine: str) -> str:
    out = io.StringIO()
    w = out.write
    w(f"Patch bytes, LLM-shaped documents in ~4-character deltas (engine: {engine})\n\n")
    w("| document | deltas | patches | ÷ document | SSE | ÷ document | with marks | taken every 16 deltas | re-sending the value | patches ÷ that | LangDiff tracker |\n")
    w("|---|---|---|---|---|---|---|---|---|---|---|\n")
    for r in rows:
        b = r["bytes"]
        snap = ("" if r["snapshots_exact"] else "≈ ") + human(r["snapshots"])
        ld = f"{human(r['langdiff'])} ({r['langdiff'] / b:.2f}×)" if r["langdiff"] is not None else r["langdiff_note"]
        w(
            f"| {human(b)} | {r['deltas']:,} | {human(r['patch'])} | {r['patch'] / b:.2f}× | {human(r['sse'])} | "
            f"{r['sse'] / b:.2f}× | {r['marks'] / b:.2f}× | {r['every16'] / b:.2f}× | {snap} | "
            f"{r['patch'] / r['snapshots']:.2g} | {ld} |\n"
        )
    timed = [r for r in rows if "times" in r]
    if timed:
        w("\nTime per delta (µs), best of interleaved rounds\n\n")
        w("| document | parse | + event consumer | + Patcher, take() each delta | + ops as JSON | whole SSE stream | Patcher ÷ parse |\n")
        w("|---|---|---|---|---|---|---|\n")
        for r in timed:
            t = {k: v * 1e6 for k, v in r["times"].items()}
            w(
                f"| {human(r['bytes'])} | {t['parse']:.2f} | {t['events']:.2f} | {t['patcher']:.2f} | "
                f"{t['patcher+json']:.2f} | {t['sse']:.2f} | {t['patcher'] / t['parse']:.2f}× |\n"
            )
    if corp:
        w(
            f"\nRecorded LLM streams: the providers' SSE bodies {human(corp['provider'])}; the patch SSE of "
            f"their {corp['channels']} JSON channels {human(corp['patches'])} "
            f"({corp['patches'] / corp['provider']:.2f}× the providers' bytes)\n"
        )
    return out.getvalue()


def profile(ds: list[str], engine: str | None) -> str:
    pt = Patcher()
    p = Parser(on_event=pt, engine=engine)
    prof = cProfile.Profile()
    prof.enable()
    for d in ds:
        p.feed(d)
        pt.take()
    p.close()
    prof.disable()
    s = io.StringIO()
    pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(8)
    return s.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=SIZES)
    ap.add_argument("--engine", default=None, help="python or compiled (default: MIDSTREAM_ENGINE, else auto)")
    ap.add_argument("--exact", type=int, default=30_000, help="deltas up to which snapshot bytes are exact")
    ap.add_argument("--cap", type=float, default=60.0, help="seconds a LangDiff run may take")
    ap.add_argument("--no-time", action="store_true", help="bytes only")
    ap.add_argument("--no-corpus", action="store_true")
    ap.add_argument("--profile", action="store_true", help="cProfile the patcher on the largest size")
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args(argv)
    engine = Parser(engine=args.engine).engine
    rows = [measure(n, args.engine, args.exact, args.cap, not args.no_time) for n in args.sizes]
    corp = None if args.no_corpus else corpus(args.engine)
    print(report(rows, corp, engine))
    if args.profile:
        print(profile(deltas(llm_document(max(args.sizes))), args.engine))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"engine": engine, "rows": rows, "corpus": corp}, f, indent=1)
    # the patches() API itself, once, as a check of the whole path
    text = llm_document(min(args.sizes))
    doc: Any = None
    for ops in patches(deltas(text), engine=args.engine):
        doc = apply_patch(doc, ops)
    assert doc == json.loads(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
