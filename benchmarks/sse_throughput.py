"""SSE decoding throughput: ``midstream.integrations.sse`` against ``httpx-sse``, same process.

Input: every recorded raw SSE body of the LLM-stream corpus (``tests/data/llm-streams/*.sse``,
else ``../shared/corpus/llm-streams/*.sse``), each cut into chunks of a fixed size (bytes, as
they come off a socket; a chunk may cut a UTF-8 sequence or a CRLF).

Both decoders take bytes and yield event objects:

* midstream: ``SSEDecoder.feed(chunk)`` for every chunk, then ``close()``;
* httpx-sse: its own pipeline without the HTTP client, as ``EventSource.iter_sse`` runs it:
  an incremental UTF-8 decoder (httpx's ``iter_text`` does the same), ``SSELineDecoder.decode``,
  then ``SSEDecoder.decode(line)`` for every line.

Each configuration is timed as the least CPU time of several alternating runs over the whole
corpus (see ``best_of_interleaved``); the table gives
MB/s (10^6 bytes of body per second) and the ratio. Run: ``.venv/bin/python -m
benchmarks.sse_throughput`` (needs ``pip install httpx-sse``).
"""

from __future__ import annotations

import argparse
import codecs
import gc
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from midstream.integrations.sse import SSEDecoder

ROOT = Path(__file__).resolve().parent.parent
CANDIDATES = [
    ROOT / "tests" / "data" / "llm-streams",
    ROOT.parent / "shared" / "corpus" / "llm-streams",
]


def corpus_dir() -> Path:
    for d in CANDIDATES:
        if any(d.glob("*.sse")):
            return d
    raise SystemExit(f"no .sse bodies found in {', '.join(map(str, CANDIDATES))}")


def chunked(bodies: list[bytes], size: int) -> list[list[bytes]]:
    if size <= 0:
        return [[b] for b in bodies]
    return [[b[k : k + size] for k in range(0, len(b), size)] for b in bodies]


def run_midstream(streams: list[list[bytes]]) -> int:
    n = 0
    for chunks in streams:
        d = SSEDecoder()
        feed = d.feed
        for c in chunks:
            n += len(feed(c))
        n += len(d.close())
    return n


def run_httpx_sse(streams: list[list[bytes]]) -> int:
    from httpx_sse._decoders import SSEDecoder as HDecoder
    from httpx_sse._decoders import SSELineDecoder

    n = 0
    for chunks in streams:
        text_decode = codecs.getincrementaldecoder("utf-8")("replace").decode
        lines = SSELineDecoder()
        d = HDecoder()
        for c in chunks:
            text = text_decode(c)
            if not text:
                continue
            for line in lines.decode(text):
                if d.decode(line) is not None:
                    n += 1
        for line in lines.flush():
            if d.decode(line) is not None:
                n += 1
    return n


def best_of_interleaved(fns: list[Callable[[], int]], runs: int) -> list[float]:
    """The least CPU time of each function over ``runs`` rounds, the functions alternating.

    CPU time (``process_time``) and alternation keep the comparison fair on a shared machine:
    another process's load slows both sides in the same rounds, and time spent descheduled is
    not counted.
    """
    times = [float("inf")] * len(fns)
    for _ in range(runs):
        for i, fn in enumerate(fns):
            gc.collect()
            t = time.process_time()
            fn()
            times[i] = min(times[i], time.process_time() - t)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--sizes", default="0,4096,256,16", help="chunk sizes in bytes; 0 = whole body")
    args = ap.parse_args()
    d = corpus_dir()
    bodies = [p.read_bytes() for p in sorted(d.glob("*.sse"))]
    total = sum(map(len, bodies))
    print(f"corpus: {len(bodies)} bodies, {total} bytes ({d})")
    print(f"{'chunk':>8} {'midstream MB/s':>15} {'httpx-sse MB/s':>15} {'ratio':>7}  events")
    for size in (int(s) for s in args.sizes.split(",")):
        streams = chunked(bodies, size)
        ours = run_midstream(streams)
        theirs = run_httpx_sse(streams)
        t_ours, t_theirs = best_of_interleaved(
            [partial(run_midstream, streams), partial(run_httpx_sse, streams)], args.runs
        )
        label = "whole" if size <= 0 else f"{size} B"
        print(
            f"{label:>8} {total / t_ours / 1e6:15.1f} {total / t_theirs / 1e6:15.1f}"
            f" {t_theirs / t_ours:6.2f}x  {ours} / {theirs}"
        )
    print("ratio = httpx-sse time / midstream time (above 1: midstream faster).")
    print("events differ where the standard and httpx-sse differ: httpx-sse drops the last event")
    print("of a body without its closing blank line (the Anthropic recordings end so).")


if __name__ == "__main__":
    main()
