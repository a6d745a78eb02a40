"""Showing a partial value as it grows: a live tree in a terminal (rich), plain lines elsewhere.

:class:`View` keeps what the updates said (the channel's live value, which parts are validated,
whether it is done) and draws it. In a terminal it redraws one tree in place with ``rich.live``:
validated parts are marked ``✓`` (green), the part still being written ``…`` (yellow). When
stdout is not a terminal (a pipe, a log), or rich is not installed, it prints one plain line per
update instead: the delta and the value so far, cut to the width.
"""

from __future__ import annotations

import json
import shutil
import sys
from typing import IO, Any

from ..integrations.updates import Update

__all__ = ["View", "plain_line"]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def plain_line(k: int, value: Any, delta: str, done: bool, width: int) -> str:
    shown = _json(value) if value is not None else "(no JSON yet)"
    if len(shown) > width:  # show the growing end
        shown = "…" + shown[-width + 1 :]
    mark = "✓" if done else " "
    return f"{k:4d} {mark} +{delta!r:<22.22} {shown}"


def label(u: Update) -> str:
    ch = u.channel
    return f"{ch.kind}" + (f" {ch.name}" if ch.name else "")


class View:
    """Draws the updates of one response: ``update(u)`` for each, ``close()`` at the end."""

    def __init__(self, out: IO[str] | None = None, *, live: bool | None = None, title: str = "") -> None:
        self.out = out or sys.stdout
        if live is None:
            live = self.out.isatty()
        self.title = title
        self.values: dict[Any, Any] = {}
        self.names: dict[Any, str] = {}
        self.validated: dict[Any, set[tuple[Any, ...]]] = {}
        self.done: set[Any] = set()
        self.count = 0
        self._live: Any = None
        self._console: Any = None
        self.failed: tuple[Any, ...] | None = None  # the path of the part that failed validation
        if live:
            try:
                from rich.console import Console
                from rich.live import Live
            except ImportError:  # (the `cli` extra brings rich; without it, plain lines)
                live = False
            else:
                self._console = Console(file=self.out)
                self._live = Live(console=self._console, refresh_per_second=20, transient=False)
                self._live.start()
        self.width = max(40, shutil.get_terminal_size((120, 24)).columns - 34)

    def update(self, u: Update) -> None:
        """Show one :class:`~midstream.integrations.updates.Update`."""
        self.show(u.channel, label(u), u.value, u.delta, u.done, [v.path for v in u.validated])

    def show(self, key: Any, name: str, value: Any, delta: str, done: bool, validated: Any = ()) -> None:
        """Show the value of stream ``key`` (labelled ``name``) after ``delta``."""
        self.count += 1
        self.values[key] = value
        self.names[key] = name
        if validated:
            marks = self.validated.setdefault(key, set())
            for path in validated:
                marks.add(tuple(path))
        if done:
            self.done.add(key)
        if self._live is not None:
            self._live.update(self.render())
        else:
            print(plain_line(self.count, value, delta, done, self.width), file=self.out, flush=True)

    def note(self, text: str, style: str = "") -> None:
        """A line under the tree (or a plain line)."""
        if self._console is not None:
            self._console.print(text, style=style or None)
        else:
            print(f"# {text}", file=self.out, flush=True)

    def refresh(self) -> None:
        if self._live is not None:
            self._live.update(self.render())

    def fail(self, path: Any) -> None:
        """Mark the part at ``path`` as the one that failed validation (✗, red)."""
        self.failed = tuple(path)

    def close(self) -> None:
        if self._live is not None:
            self._live.update(self.render())
            self._live.stop()
            self._live = None

    # ---- the tree ---------------------------------------------------------------------------

    def render(self) -> Any:
        from rich.tree import Tree

        root = Tree(self.title or "response")
        for ch, value in self.values.items():
            what = self.names[ch] + (" ✓" if ch in self.done else " …")
            node = root.add(what, style="green" if ch in self.done else "yellow")
            self._add(node, value, (), self.validated.get(ch, set()), ch in self.done)
        return root

    def _add(self, node: Any, value: Any, path: tuple[Any, ...], ok: set[tuple[Any, ...]], done: bool) -> None:
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else None
        if items is None:
            return
        last = len(value) - 1
        for k, (key, v) in enumerate(items):
            p = (*path, key)
            valid = p in ok
            bad = p == self.failed
            open_ = not done and k == last and not valid and not bad
            mark = " ✗" if bad else " ✓" if valid else " …" if open_ else ""
            style = "bold red" if bad else "green" if valid else "yellow" if open_ else ""
            if isinstance(v, (dict, list)):
                child = node.add(f"{key}{mark}", style=style)
                self._add(child, v, p, ok, done or valid)
            else:
                text = _json(v)
                if len(text) > self.width:
                    text = text[: self.width - 1] + "…"
                node.add(f"{key}: {text}{mark}", style=style)
