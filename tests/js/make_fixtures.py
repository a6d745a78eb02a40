"""Patch streams made by the Python side, for the JavaScript tests (``tests/js/*.test.mjs``).

    python -m tests.js.make_fixtures            # rewrite the committed tests/js/fixtures/patches.json
    python -m tests.js.make_fixtures --all DIR  # every corpus channel, into DIR/patches.json

Each fixture: ``name``, ``options`` (the parser's), ``steps`` (``[delta, ops, value_after]`` for
each delta, then ``[null, ops, value]`` when the end of input added operations), ``final`` (the
complete value, or null), ``error`` (the error's type when the stream fails) and, for the
hand-made ones, ``sse`` (the stream as :func:`midstream.patches.patches_sse` writes it). The
committed file holds the hand-made cases and the corpus channels whose fixture is small
(``SMALL``); ``tests/test_patches.py`` checks that it is up to date and runs ``node --test`` on
it and on every channel (``MIDSTREAM_PATCH_FIXTURES`` names the file to use).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path
from typing import Any

from midstream import MidstreamError, Parser, Patcher
from midstream.patches import patches_sse
from support.corpus import STREAMS, stream_deltas

HERE = Path(__file__).resolve().parent
COMMITTED = HERE / "fixtures" / "patches.json"
#: A corpus channel goes into the committed file when its fixture is at most this long.
SMALL = 4_000


def streams_dir() -> Path:
    """The recorded LLM streams (tests/data/llm-streams)."""
    return STREAMS


def corpus_channels() -> list[tuple[str, dict[str, Any], list[str]]]:
    """``(name, channel entry, deltas)`` for every JSON channel of every recorded stream."""
    base = streams_dir()
    out = []
    for s in json.loads((base / "index.json").read_text("utf-8")):
        lines = (base / f"{s['name']}.jsonl").read_text("utf-8").splitlines()
        chans = stream_deltas([json.loads(x) for x in lines if x.strip()])
        for ch in s["json_channels"]:
            assembled = (base / ch["file"]).read_text("utf-8")
            found = [d for d in chans.values() if "".join(d) == assembled and len(d) == ch["deltas"]]
            assert found, f"no channel of {s['name']} assembles into {ch['file']}"
            out.append((f"{s['name']}:{ch['channel']}", ch, found[0]))
    return out


def run(deltas: list[Any], marks: bool = False, **options: Any) -> dict[str, Any]:
    """Feed ``deltas`` to a parser with a patcher: the ops and the partial value after each."""
    patcher = Patcher(marks=marks)
    p = Parser(on_event=patcher, **options)
    steps: list[list[Any]] = []
    final: Any = None
    error = None
    try:
        for d in deltas:
            try:
                p.feed(d)
            finally:
                steps.append([d, patcher.take(), copy.deepcopy(p.value)])
        p.close()
        final = p.value  # (with multiple=True, close() returns the values it completed)
        last = patcher.take()
        if last:
            steps.append([None, last, copy.deepcopy(final)])
    except MidstreamError as e:
        error = type(e).__name__
    return {"steps": steps, "final": final, "error": error}


#: Hand-made cases: what the corpus may lack (``deltas`` None: one character at a time).
HAND: list[tuple[str, str, dict[str, Any], list[str] | None]] = [
    ("object", '{"title": "Streaming", "tags": ["a", "b"], "n": 42, "ok": true, "none": null}', {}, None),
    ("escapes", r'{"s": "a\"b\\c\/d\b\f\n\r\t\u00e9\u2028", "e": "\ud83d\ude00 and \ud800 lone"}', {}, None),
    ("unicode", '{"k€y": "東京 данные 😀 naïve", "😀": ["é", "𝄞"]}', {}, None),
    ("pointer escapes", '{"a/b": {"~0": 1, "c~1d": [2]}, "": {"": ""}, "__proto__": {"x": 1}}', {}, None),
    ("repeated keys", '{"a": "first", "b": 1, "a": [1, {"a": "x"}], "a": {}, "b": "yz"}', {}, None),
    ("empty containers", '[[], {}, [[]], [{}], {"a": {}, "b": []}]', {}, None),
    ("numbers", "[0, -0, -0.0, 1.5e-3, 12345678901234567890, 1E+2, -7]", {}, ["[0, -", "0, -0.", "0, 1.5e", "-3, 1234567890", "1234567890, 1E+", "2, -7", "]"]),
    ("top-level string", '"a top-level \\u0073tring"', {}, None),
    ("top-level number", "-12.5e3", {}, None),
    ("top-level literal", "true", {}, None),
    ("top-level null", "null", {}, None),
    ("deep", '{"a": [{"b": [[{"c": "deep"}]]}]}', {}, None),
    ("hidden strings", '{"a": "hidden until closed", "b": ["x", "yz"]}', {"partial_strings": False}, None),
    ("marks", '{"a": [1, "two", {"b": null}], "c": "d"}', {"marks": True}, None),
    ("multiple", '{"a": 1} [2, "x"] "s" 3', {"multiple": True}, None),
    ("whole", '{"title": "Streaming", "tags": ["a", "b"], "n": 42}', {}, ['{"title": "Streaming", "tags": ["a", "b"], "n": 42}']),
    ("malformed", '{"a": [1, 2,]}', {}, None),
    ("truncated", '{"a": "unfinished', {}, None),
]


def hand_fixtures(engine: str) -> list[dict[str, Any]]:
    out = []
    for name, text, options, deltas in HAND:
        ds = list(text) if deltas is None else deltas
        fx = {"name": name, "options": options, **run(ds, engine=engine, **options)}
        fx["sse"] = "".join(patches_sse(ds, engine=engine, **options))
        out.append(fx)
    return out


def corpus_fixtures(small: int | None, engine: str) -> list[dict[str, Any]]:
    out = []
    for name, _, deltas in corpus_channels():
        fx = {"name": name, "options": {}, **run(deltas, engine=engine)}
        if small is None or len(json.dumps(fx)) <= small:
            out.append(fx)
    return out


def fixtures(every_channel: bool = False, engine: str = "python") -> dict[str, Any]:
    """The fixtures, made with ``engine`` (the committed ones with the reference engine)."""
    return {
        "generated_by": "python -m tests.js.make_fixtures" + (" --all" if every_channel else ""),
        "fixtures": hand_fixtures(engine) + corpus_fixtures(None if every_channel else SMALL, engine),
    }


def dump(data: dict[str, Any]) -> str:
    # one fixture per line: diffs stay readable; ensure_ascii so lone surrogates survive
    lines = [json.dumps(f, separators=(",", ":")) for f in data["fixtures"]]
    return (
        '{"generated_by": ' + json.dumps(data["generated_by"]) + ',\n"fixtures": [\n'
        + ",\n".join(lines) + "\n]}\n"
    )


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--all", metavar="DIR", type=Path, help="every corpus channel, into DIR/patches.json")
    args = ap.parse_args(argv)
    if args.all is not None:
        args.all.mkdir(parents=True, exist_ok=True)
        target = args.all / "patches.json"
        target.write_text(dump(fixtures(every_channel=True)), "utf-8")
    else:
        target = COMMITTED
        target.parent.mkdir(exist_ok=True)
        target.write_text(dump(fixtures()), "utf-8")
    print(f"wrote {target} ({target.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
