"""``midstream demo``: a real recorded LLM stream, replayed at token speed, in two acts.

1. The stream (an Anthropic structured output: a party of three characters) goes through
   :func:`midstream.updates` with a pydantic model: the object fills in delta by delta, and each
   part is marked validated as soon as it closes.
2. The same stream against a stricter model (no thieves in the party): validation fails the
   moment the third character's ``"class": "thief"`` closes, ``updates`` closes the upstream at
   once, and the demo counts the deltas the provider never had to generate.

``--file STREAM`` replays any recorded body instead (raw SSE, or one JSON payload per line),
without a model unless ``--model`` names one. ``--delay`` sets the seconds between deltas.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import IO, Any, Literal

from pydantic import BaseModel, Field

from ..errors import MidstreamError, StreamValidationError
from ..integrations.updates import updates
from .show import View


class Character(BaseModel):
    name: str
    class_: Literal["warrior", "mage", "thief", "cleric", "ranger"] = Field(alias="class")
    description: str


class Party(BaseModel):
    characters: list[Character]


class Fighter(BaseModel):
    name: str
    class_: Literal["warrior", "mage"] = Field(alias="class")  # no thieves here
    description: str


class StrictParty(BaseModel):
    characters: list[Fighter]


def bundled() -> str:
    return resources.files("midstream").joinpath("data/demo_stream.jsonl").read_text("utf-8")


class Replay:
    """The recorded payloads, one at a time, ``delay`` seconds apart, counting what was sent."""

    def __init__(self, text: str, delay: float) -> None:
        stripped = text.lstrip()
        if stripped.startswith(("event:", "data:", ":", "id:")):  # a raw SSE body
            from ..integrations.sse import SSEDecoder

            dec = SSEDecoder()
            events = [*dec.feed(text), *dec.close()]
            self.payloads = [json.loads(e.data) for e in events if e.data and not e.is_done]
        else:
            self.payloads = [json.loads(line) for line in text.splitlines() if line.strip()]
        self.delay = delay
        self.sent = 0
        self.deltas_sent = 0
        self.closed = False
        self.total_deltas = sum(1 for p in self.payloads if _is_delta(p))

    def __iter__(self) -> Iterator[Any]:
        try:
            for p in self.payloads:
                self.sent += 1
                if _is_delta(p):
                    self.deltas_sent += 1
                    if self.delay:
                        time.sleep(self.delay)
                yield p
        finally:
            self.closed = True


def _is_delta(p: Any) -> bool:
    return isinstance(p, dict) and (p.get("type") == "content_block_delta" or bool(p.get("choices")))


def act(view: View, replay: Replay, model: Any) -> Any:
    """Run one replay through ``updates``; None, or the error that stopped it."""
    try:
        for u in updates(iter(replay), model=model):
            view.update(u)
        return None
    except MidstreamError as e:
        if isinstance(e, StreamValidationError) and e.errors():
            view.fail(e.errors()[0]["loc"])
            view.refresh()
        return e
    finally:
        view.close()


def demo(path: str | None = None, delay: float = 0.03, model: str | None = None, out: IO[str] | None = None) -> int:
    out = out or sys.stdout
    if path is not None:
        from .parse import load_model

        tp = load_model(model) if model else None
        replay = Replay(Path(path).read_text("utf-8"), delay)
        view = View(out, title=path)
        view.note(f"replaying {replay.total_deltas} deltas from {path}")
        err = act(view, replay, tp)
        if err is not None:
            view.note(f"stopped: {type(err).__name__}: {err}", "red")
            return 1
        view.note("complete", "green")
        return 0

    text = bundled()
    replay = Replay(text, delay)
    view = View(out, title="act 1: a recorded Anthropic structured output, validated as it streams")
    view.note(f"act 1: {replay.total_deltas} recorded deltas through midstream.updates(stream, model=Party)")
    err = act(view, replay, Party)
    if err is not None:
        view.note(f"unexpected: {err}", "red")
        return 1
    view.note("act 1: complete; every part validated the moment it closed (✓)", "green")

    replay = Replay(text, delay)
    view = View(out, title="act 2: the same stream, a model that allows no thieves")
    view.note("act 2: the same stream with a stricter model (class: warrior or mage)")
    err = act(view, replay, StrictParty)
    if not isinstance(err, StreamValidationError):
        view.note(f"unexpected: {err!r}", "red")
        return 1
    first = err.errors()[0]
    saved = replay.total_deltas - replay.deltas_sent
    view.note(f"act 2: invalid at {'.'.join(map(str, first['loc']))}: {first['msg']}", "red")
    view.note(
        f"act 2: the upstream was closed {'at once' if replay.closed else '(not closed!)'}: "
        f"{replay.deltas_sent} of {replay.total_deltas} deltas read, {saved} "
        f"({100 * saved / replay.total_deltas:.0f} %) never generated, never billed",
        "bold",
    )
    return 0
