"""The oracles of the fuzz harnesses: each input is checked, not only run.

``check_parser(data)`` feeds ``data`` (as bytes, and as str when it is UTF-8) to
:class:`midstream.Parser` in pieces whose sizes are derived from the data itself, and asserts
the verdict of ``json.loads`` on the whole input: the same value, or a ``ParseError`` exactly
when ``json.loads`` rejects it. ``check_jsonl(data)`` asserts that ``JSONLParser(on_error="skip")``
delivers exactly the good lines, in order, and reports exactly the bad ones by number.

Documented differences from ``json.loads`` (the only ones the oracle allows):
* ``NaN``, ``Infinity``, ``-Infinity`` are not JSON (RFC 8259): rejected here, accepted there.
* ``json.loads(bytes)`` also reads UTF-16/32; midstream reads UTF-8 (RFC 8259 §8.1).
* Limits: nesting deeper than ``json.loads`` can recurse, or numbers over ``max_number``
  characters, may be a ``LimitExceededError`` where ``json.loads`` fails differently or succeeds.
Any exception other than ``ParseError`` escaping from the parser fails the check.

``check_engines(data)`` feeds the same pieces (and options derived from the data) to the C engine
and to the Python engine side by side: every feed must return the same thing, leave the same
partial value, emit the same raw events (kind, value, key), and fail with the same error (message and location). No difference is
allowed: ``_cengine.c`` follows ``build.py`` branch for branch.

``check_model(data)`` allows one documented difference from ``model_validate_json``: in an object
with a repeated key, the value under its first occurrence is judged as it closes (pydantic keeps
the last one), so ``feed`` may fail early on a document pydantic accepts; ``close()`` must still
return pydantic's result.
"""

from __future__ import annotations

import json
import math
import random
import zlib
from collections.abc import Callable, Sequence
from typing import Any

from midstream import JSONLParser, LimitExceededError, ParseError, Parser
from midstream.engine import build

try:
    from midstream.engine import _cengine  # type: ignore[attr-defined]

    _cengine.bind(build)
    C_ENGINE: Callable[..., Any] | None = _cengine.engine
except ImportError:  # not built here (see setup.py)
    C_ENGINE = None

BOM = b"\xef\xbb\xbf"


def same(a: Any, b: Any) -> bool:
    """Equality that also tells -0.0 from 0.0 and int from float, at every depth (no recursion)."""
    todo = [(a, b)]
    while todo:
        x, y = todo.pop()
        if type(x) is not type(y):
            return False
        if isinstance(x, float):
            if not (x == y and math.copysign(1, x) == math.copysign(1, y)):
                return False
        elif isinstance(x, list):
            if len(x) != len(y):
                return False
            todo.extend(zip(x, y, strict=True))
        elif isinstance(x, dict):
            if list(x) != list(y):
                return False
            todo.extend((x[k], y[k]) for k in x)
        elif x != y:
            return False
    return True


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def reference(text: str) -> tuple[str, Any]:
    """``json.loads``' verdict on ``text``: ("ok", value), ("error", None) or ("either", None)."""
    try:
        return "ok", json.loads(text, parse_constant=_no_constants)
    except RecursionError:
        return "either", None
    except ValueError:
        return "error", None


def reference_bytes(data: bytes) -> tuple[str, Any]:
    if data.startswith(BOM):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "error", None
    return reference(text)


def pieces(data: Any, seed: int) -> list[Any]:
    """``data`` cut into pieces of 1..8 units, deterministically from ``seed``."""
    rnd = random.Random(seed)
    out, k = [], 0
    while k < len(data):
        m = rnd.randint(1, 8) if rnd.random() < 0.9 else rnd.randint(9, 64)
        out.append(data[k : k + m])
        k += m
    return out


def parse_verdict(chunks: list[Any]) -> tuple[str, Any]:
    """The parser's verdict: ("ok", value), ("error", None) or ("limit", None)."""
    p = Parser()
    try:
        for c in chunks:
            p.feed(c)
        return "ok", p.close()
    except LimitExceededError:
        return "limit", None
    except ParseError:
        return "error", None


def _agree(got: tuple[str, Any], expected: tuple[str, Any], what: str) -> None:
    if expected[0] == "either" or got[0] == "limit":
        return
    assert got[0] == expected[0], f"{what}: parser says {got[0]}, json.loads says {expected[0]}"
    if got[0] == "ok":
        assert same(got[1], expected[1]), f"{what}: {got[1]!r} != {expected[1]!r}"


def check_parser(data: bytes) -> None:
    seed = zlib.crc32(data)
    expected = reference_bytes(data)
    _agree(parse_verdict([data]), expected, "bytes, whole")
    _agree(parse_verdict(pieces(data, seed)), expected, "bytes, split")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    expected = reference(text)
    _agree(parse_verdict(pieces(text, seed + 1)), expected, "str, split")


def check_jsonl(data: bytes) -> None:
    lines = data.split(b"\n")
    ref = [
        # line 1 may start with a BOM (bytes input: then blank after it); on any other line it
        # is an error
        (n, reference_bytes(line if n == 1 else b" " + line))
        for n, line in enumerate(lines, 1)
        if (line[3:] if n == 1 and line.startswith(BOM) else line).strip(b" \t\r")
    ]
    if any(verdict == "either" for _, (verdict, _) in ref):
        return  # json.loads cannot judge a line (recursion): nothing to compare
    j = JSONLParser(on_error="skip")
    got: list[Any] = []
    for c in pieces(data, zlib.crc32(data)):
        got += j.feed(c)
    got += j.close()
    # A limit may turn a line into a LimitExceededError: such lines are left out of the check.
    limited = {e.line for e in j.errors if isinstance(e, LimitExceededError)}
    good = [v for n, (verdict, v) in ref if verdict == "ok" and n not in limited]
    bad = [n for n, (verdict, _) in ref if verdict == "error" and n not in limited]
    assert [e.line for e in j.errors if e.line not in limited] == bad, (bad, j.errors)
    assert len(got) == len(good) and all(same(a, b) for a, b in zip(got, good, strict=True))


# ---- the model parser ---------------------------------------------------------------------


def _fuzz_models() -> Any:
    """A small nested model with the features whose early validation could go wrong."""
    from typing import Annotated, Literal

    from pydantic import BaseModel, ConfigDict, Field, field_validator

    class Part(BaseModel):
        model_config = ConfigDict(populate_by_name=True)
        name: Annotated[str, Field(max_length=8)] = Field(alias="n")
        qty: Annotated[int, Field(ge=0)] = 0

        @field_validator("name")
        @classmethod
        def strip(cls, v: str) -> str:
            return v.strip()

    class Doc(BaseModel):
        model_config = ConfigDict(extra="forbid")
        id: int
        parts: list[Part] = []
        kind: Literal["a", "b"] = "a"
        note: str | None = None
        sub: dict[str, Part] = {}

    return Doc


_DOC: Any = None


def model_state(v: Any) -> Any:
    """What equality of two validated results means here: values, and for models also the
    fields set, the extra members and the private attributes (recursively, no recursion limit
    concerns at the depths models have)."""
    from pydantic import BaseModel

    if isinstance(v, BaseModel):
        return (
            type(v),
            {k: model_state(x) for k, x in v.__dict__.items()},
            sorted(v.model_fields_set),
            model_state(v.__pydantic_extra__),
            model_state(v.__pydantic_private__),
        )
    if isinstance(v, dict):
        return {k: model_state(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [model_state(x) for x in v]
    return (type(v), v)


def repeats_a_key(text: str | bytes) -> bool:
    """Whether some object of the JSON ``text`` has a key twice."""
    repeated = False

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal repeated
        repeated = repeated or len({k for k, _ in items}) != len(items)
        return dict(items)

    try:
        json.loads(text, object_pairs_hook=pairs)
    except (ValueError, RecursionError):
        return False
    return repeated


def check_model(data: bytes, model: Any = None, seed: int | None = None) -> None:
    """ModelParser agrees with ``model.model_validate_json`` (default: a small nested model):
    same value, same errors; an early failure during feed() only where pydantic rejects the
    document too."""
    from pydantic import TypeAdapter, ValidationError

    from midstream import ModelParser, StreamValidationError

    global _DOC
    if model is None:
        if _DOC is None:
            _DOC = _fuzz_models()
        model = _DOC
    body = data[3:] if data.startswith(BOM) else data
    p = ModelParser(model)
    early = None
    try:
        for c in pieces(data, zlib.crc32(data) if seed is None else seed):
            try:
                p.feed(c)
            except StreamValidationError as e:
                early = early or e
        result: Any = p.close()
    except LimitExceededError:
        return
    except ParseError:
        assert reference_bytes(data)[0] != "ok", "ModelParser rejected JSON that json.loads accepts"
        return
    except StreamValidationError as e:
        result = e
    try:
        expected: Any = TypeAdapter(model).validate_json(body)
    except ValidationError as e:
        assert isinstance(result, StreamValidationError), f"accepted what pydantic rejects: {e}"
        keys = [(d["type"], d["loc"]) for d in e.errors()]
        assert [(d["type"], tuple(d["loc"])) for d in result.errors()] == keys
        return
    assert early is None or repeats_a_key(body), f"failed early on a valid document: {early}"
    assert not isinstance(result, StreamValidationError), f"rejected what pydantic accepts: {result}"
    assert model_state(result) == model_state(expected), (result, expected)


# ---------------------------------------------------------------- the two engines side by side


class Owner:
    """The engine's value holder, as Parser is (see build.ValueHolder)."""

    def __init__(self) -> None:
        self.value: Any = None

    def __getitem__(self, key: int) -> Any:
        return self.value

    def __setitem__(self, key: int, value: Any) -> None:
        self.value = value


def snapshot(value: Any) -> list[str]:
    """``value`` as a flat list of tokens (iterative: partial values may nest 1,000 deep)."""
    out: list[str] = []
    todo: list[Any] = [value]
    while todo:
        v = todo.pop()
        if isinstance(v, list):
            out.append(f"[{len(v)}")
            todo.extend(reversed(v))
        elif isinstance(v, dict):
            out.append(f"{{{len(v)}")
            for k, x in reversed(list(v.items())):
                todo.append(x)
                todo.append(k)
        else:
            out.append(f"{type(v).__name__}:{v!r}")
    return out


def engine_log(make: Callable[..., Any], chunks: Sequence[Any], **options: Any) -> list[Any]:
    """Everything observable of one engine run: per feed, its result and the partial value
    after it (or its error, whole); then the raw events (``on_event(kind, value, key)``: every
    one, with its value as it was then: a container's length when it opens, its whole content
    when it closes). (Past 2,000 feeds the partial value is compared after every 2**k-th feed
    only: each comparison costs its whole size.)

    ``hooks=True`` runs the engine with hooks (see ``build.Hooked``): the record of fragments, an
    ``after`` woken by every closing value that raises at every second call (the engine must go
    on), and a mirror of the top-level value, logged after each feed."""
    owner = Owner()
    failed: list[Any] = []
    events: list[Any] = []
    options = dict(options)
    hooked = options.pop("hooks", False)
    record: list[Any] = []
    wake: list[Any] = []
    mirrored: dict[str, Any] = {}
    if hooked:
        calls = [0]

        def after() -> Any:
            wake.clear()
            calls[0] += 1
            if calls[0] % 2 == 0:
                raise ValueError(f"after {calls[0]}")
            return ("after", calls[0], len(record))

        options["hooks"] = (record, wake, after, [mirrored, "top", owner, 0])

    def on_event(kind: int, value: Any, key: Any) -> None:
        if isinstance(value, (list, dict)):
            what: Any = snapshot(value) if kind == build.EV_CLOSE else f"{type(value).__name__}:{len(value)}"
        else:
            what = f"{type(value).__name__}:{value!r}"
        events.append((kind, what, type(key).__name__, key, hooked and snapshot(mirrored.get("top"))))
        if hooked and kind == build.EV_CLOSE:
            wake.append(kind)

    gen = make(owner, failed.append, on_event=on_event, **options)
    next(gen)
    log: list[Any] = []
    for k, chunk in enumerate([*chunks, build.CLOSE]):
        shown = k < 2000 or k & (k - 1) == 0 or chunk is build.CLOSE
        try:
            result = gen.send(chunk)
        except ParseError as e:
            where = (e.msg, e.offset, e.line, e.column, e.excerpt)
            log.append(("error", type(e).__name__, where, snapshot(e.partial), failed == [e]))
            break
        except ValueError as e:  # after()'s own (hooks)
            log.append(("after raised", str(e), shown and snapshot(mirrored.get("top"))))
            continue
        got = list(result) if isinstance(result, tuple) else result
        log.append(("ok", type(result).__name__, snapshot(got), shown and snapshot(owner.value)))
        if hooked:
            log.append(("mirror", shown and snapshot(mirrored.get("top"))))
    log.append(("events", events))
    if hooked:
        log.append(("record", [(type(c).__name__, c) for c in record]))
    return log


#: Engine options worth comparing: the defaults, each option, and limits small enough to hit.
ENGINE_OPTIONS: list[dict[str, Any]] = [
    {},
    {"multiple": True},
    {"partial_strings": False},
    {"max_depth": 3, "max_string": 5, "max_number": 4},
    {"trailing": True},
    {"kinds": 0b110101},  # ModelParser's: no growth, no members (the compiled engine skips them)
    {"kinds": 1 << build.EV_GROW | 1 << build.EV_CLOSE},  # (the Python engine's filter)
    {"kinds": 0b110101, "hooks": True},  # ModelParser's hooks (see engine_log)
]


def engines_agree(chunks: Sequence[Any], **options: Any) -> None:
    assert C_ENGINE is not None, "the compiled engine is not built (see setup.py)"
    expected = engine_log(build.python_engine, chunks, **options)
    got = engine_log(C_ENGINE, chunks, **options)
    assert got == expected, (chunks, options)


def check_engines(data: bytes) -> None:
    seed = zlib.crc32(data)
    options = ENGINE_OPTIONS[seed % len(ENGINE_OPTIONS)]
    engines_agree([data], **options)
    engines_agree(pieces(data, seed), **options)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    engines_agree(pieces(text, seed + 1), **options)
