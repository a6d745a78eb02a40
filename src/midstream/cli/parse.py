"""``midstream parse``: read JSON, JSONL or an SSE body incrementally and print as it completes.

Data goes to stdout, one JSON text per line, flushed as soon as it is known; progress and errors
go to stderr. Input is read with ``os.read`` (whatever has arrived, up to 64 KiB), so behind a
pipe (``curl -N ... | midstream parse --jsonl``) nothing waits for the input to end.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from itertools import chain
from typing import IO, Any

from ..errors import MidstreamError

CHUNK = 1 << 16


def read_chunks(source: str) -> Iterator[bytes]:
    """The bytes of ``source`` (a path, or ``-`` for stdin) as they arrive."""
    if source == "-":
        fd = sys.stdin.fileno()
        while chunk := os.read(fd, CHUNK):
            yield chunk
        return
    with open(source, "rb", buffering=0) as f:
        while chunk := f.read(CHUNK):
            yield chunk


def load_model(spec: str) -> Any:
    """``pkg.module:Name`` -> the object (a pydantic model or any type pydantic validates)."""
    from importlib import import_module

    module, _, name = spec.partition(":")
    if not module or not name:
        raise ValueError(f"--model takes pkg.module:Name, not {spec!r}")
    obj: Any = import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def dumper(model: Any) -> Callable[[Any], str]:
    """One JSON line for a value: pydantic's dump for validated values, json.dumps otherwise."""
    if model is None:
        return lambda v: json.dumps(v, ensure_ascii=False)
    from pydantic import TypeAdapter

    adapter: Any = TypeAdapter(model)
    return lambda v: adapter.dump_json(v).decode()


def channel_json(ch: Any) -> dict[str, Any]:
    """A channel's identity as JSON (its fields that are set)."""
    return {k: v for k in ("provider", "kind", "choice", "index", "id", "name", "message", "part") if (v := getattr(ch, k)) is not None}


def parse_sse(source: str, *, partial: bool, tp: Any, out: IO[str]) -> int:
    """One JSON line per channel of an LLM API's SSE body, as each completes (``--partial``:
    after every update): ``{"channel": {...}, "value": ...}``."""
    from ..integrations.updates import IncompleteStreamError, updates

    dump = dumper(None)
    write = out.write
    try:
        for u in updates(read_chunks(source), model=tp if tp is not None else None):
            if u.done or (partial and u.value is not None):
                value = u.result if u.done else u.value
                if u.done and tp is not None and u.result is not None and hasattr(u.result, "model_dump"):
                    value = u.result.model_dump(mode="json", by_alias=True)
                write(dump({"channel": channel_json(u.channel), "value": value, "done": u.done}) + "\n")
                out.flush()
    except IncompleteStreamError as e:  # what was received is kept: printed, then the error
        for ch, value in e.partials.items():
            write(dump({"channel": channel_json(ch), "value": value, "done": False}) + "\n")
        out.flush()
        raise
    return 0


def parse(
    source: str,
    *,
    sse: bool = False,
    jsonl: bool = False,
    partial: bool = False,
    model: str | None = None,
    out: IO[str] | None = None,
) -> int:
    """Print each value (or JSONL record) as one JSON line the moment it completes; with
    ``partial``, the partial value after every chunk read too (single values only)."""
    out = out or sys.stdout
    tp = load_model(model) if model else None
    if sse:
        return parse_sse(source, partial=partial, tp=tp, out=out)
    dump = dumper(tp)
    write = out.write
    if jsonl:
        from ..jsonl import JSONLParser

        # A bad line is reported on stderr as it is found and the records after it still come
        # (the exit code is 1 if there was one).
        jp = JSONLParser(on_error="skip", model=tp)
        reported = 0
        for chunk in chain(read_chunks(source), (None,)):
            for record in jp.feed(chunk) if chunk is not None else jp.close():
                write(dump(record) + "\n")
            out.flush()
            for e in jp.errors[reported:]:
                print(f"midstream: line {e.line}: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
            reported = len(jp.errors)
        return 1 if jp.errors else 0
    if tp is not None:
        from ..validation.model import ModelParser

        mp: Any = ModelParser(tp)
        for chunk in read_chunks(source):
            mp.feed(chunk)
            if partial:
                write(json.dumps(mp.value, ensure_ascii=False) + "\n")
                out.flush()
        write(dump(mp.close()) + "\n")
        out.flush()
        return 0
    from ..parser import Parser

    p = Parser(multiple=True)
    last: Any = None  # the last value completed (still p.value until the next one begins)
    for chunk in read_chunks(source):
        done = p.feed(chunk)
        for value in done:
            write(dump(value) + "\n")
            last = value
        if partial and p.value is not None and p.value is not last:
            write(dump(p.value) + "\n")
        out.flush()
    for value in p.close():
        write(dump(value) + "\n")
    out.flush()
    return 0


def one_line_errors(command: Callable[[], int]) -> int:
    """Run ``command``; bad input is one line on stderr and exit code 1 (2 for a bad option,
    a missing file or model), never a traceback."""
    try:
        return command()
    except MidstreamError as e:
        print(f"midstream: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    except (OSError, ImportError, AttributeError, ValueError) as e:
        print(f"midstream: {e}", file=sys.stderr)
        return 2


def watch(args: Any) -> int:
    """Redraw the partial value live (see :mod:`midstream.cli.show`)."""
    return one_line_errors(lambda: _watch(args.file, args.sse, load_model(args.model) if args.model else None))


def _watch(source: str, sse: bool, tp: Any) -> int:
    from .show import View

    view = View(title=source if source != "-" else "stdin")
    try:
        if sse:
            from ..integrations.updates import updates

            for u in updates(read_chunks(source), model=tp):
                view.update(u)
            return 0
        if tp is not None:
            from ..validation.model import ModelParser

            mp: Any = ModelParser(tp)
            for chunk in read_chunks(source):
                parts = mp.feed(chunk)
                view.show("value", "value", mp.value, chunk.decode("utf-8", "replace"), False, [v.path for v in parts])
            mp.close()
            view.show("value", "value", mp.value, "", True, [()])
            return 0
        from ..parser import Parser

        p = Parser()
        for chunk in read_chunks(source):
            p.feed(chunk)
            view.show("value", "value", p.value, chunk.decode("utf-8", "replace"), False)
        p.close()
        view.show("value", "value", p.value, "", True)
        return 0
    finally:
        view.close()


def run(args: Any) -> int:
    return one_line_errors(
        lambda: parse(args.file, sse=args.sse, jsonl=args.jsonl, partial=args.partial, model=args.model)
    )
