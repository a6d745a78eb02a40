"""The peers of the "partial value after every delta" scenarios, and why some are not run.

Each peer is a :class:`Peer`: ``peer(ds)`` makes the timed run over the deltas ``ds`` (it returns
the final value), ``peer.snapshots(ds)`` yields the value a UI would show after each delta then
the final value (an untimed run, for the correctness column, :mod:`benchmarks.correctness`).
A peer whose run raises returns a :class:`Failed` (its final value then differs, and is marked).

| package (PyPI) | API used | row label | scenarios |
|---|---|---|---|
| jiter | ``from_json(buf, partial_mode="trailing-strings")`` on the growing buffer | re-parse | partial, standard, recorded |
| partial-json-parser | ``loads(buf)`` | re-parse | partial, standard, recorded |
| pydantic | ``TypeAdapter(Any).validate_json(buf, experimental_allow_partial=...)`` | re-parse | partial, standard, recorded |
| streamingjson | ``Lexer.append_string`` (incremental) + ``json.loads(complete_json())`` | complete_json + json.loads | partial, standard, recorded |
| jsonriver | ``parse(async deltas)``, each value it yields | incremental | partial, standard, recorded |
| json-repair | ``loads(buf)`` | re-parse | partial, standard, recorded |
| langchain-core | ``parse_partial_json(buf)`` | re-parse | partial, standard, recorded |
| partialjson (1.2.0) | ``JSONParser().parse(buf)`` (extra-token printing off) | re-parse | partial, standard, recorded |
| partial-json-stream | ``JsonStreamParser.push(d)`` then ``snapshot().value`` | incremental push; snapshot() deep-copies | partial, standard, recorded |
| ijp | ``IncrementalJSONParser.send(d)`` then its ``(path, type, value)`` tuples; the value is built from them here | incremental events | partial, standard, recorded |
| jaxn | ``StreamingJSONParser.parse_incremental(d)`` with a handler; its only whole values are ``on_field_end`` of top-level fields, so the value is those fields | SAX callbacks | partial, standard, recorded |
| langdiff | ``Parser(root).push(d)`` with a typed ``Object`` schema (jiter re-parse of the buffer inside) | typed schema, re-parse | partial (synthetic documents: it needs the schema of the document) |
| jsontap | ``await jsontap(async deltas)``: the root resolves when complete | final value only | final value (``benchmarks/events.py``): it has no partial value of the document |

Not run (see :data:`NOT_RUN`, also printed in the report): jsonversation, stream-json-repair
(unless installed in place of partial-json-stream), struct-strm, llm-json-streaming.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

#: Packages the issue names that have no row, and why (shown under the tables).
NOT_RUN: dict[str, str] = {
    "jsonversation": "not installable here: every release requires Python >= 3.13",
    "stream-json-repair": (
        "installs the same top-level module as partial-json-stream (`partial_json_stream`, "
        "overwriting it) and top-level `benchmarks` and `tests` packages: not in the bench extra; "
        "its `PartialJsonStream.push` re-parses the whole buffer (regex repair + json.loads), and "
        "it is run, as `stream-json-repair (re-parse)`, when installed instead of partial-json-stream"
    ),
    "struct-strm": (
        "no general parser: `tree_sitter_parse(struct, stream)` fills a given dataclass/model "
        "of string fields, one nesting level, every value kept as a string (its stated scope)"
    ),
    "llm-json-streaming": (
        "no parser of its own: wrappers around the OpenAI / Anthropic / Google clients that "
        "call openai's stream helper (the SDK row) or json_repair (its own row) on live requests"
    ),
}

#: Installed peers that cannot express a scenario: {peer: reason} (shown under the tables).
PARTIAL_ONLY_SYNTHETIC = "langdiff (typed schema, jiter re-parse)"
FINAL_ONLY = {
    "jsontap": "no partial value of the document: a node resolves only when complete "
    "(run in the final-value scenario)",
}


class Failed:
    """What a peer's run returns when it raised: never equal to a value."""

    def __init__(self, exc: BaseException) -> None:
        self.error = f"{type(exc).__name__}: {exc}"[:120]

    def __eq__(self, other: object) -> bool:
        return False

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Failed({self.error!r})"


@dataclass
class Peer:
    """``make(ds)`` -> the timed run (returns the final value); ``steps(ds)`` -> the value after
    each delta, then the final value (the last item)."""

    make: Callable[[list[str]], Callable[[], Any]]
    steps: Callable[[list[str]], Iterator[Any]]

    def __call__(self, ds: list[str]) -> Callable[[], Any]:
        return self.make(ds)

    def snapshots(self, ds: list[str]) -> tuple[list[Any], Any]:
        """(a deep copy of the value after each delta, the final value); untimed."""
        out: list[Any] = []
        try:
            for v in self.steps(ds):
                out.append(copy.deepcopy(v))
        except Exception as e:
            return out, Failed(e)
        return out[:-1], out[-1] if out else None


def _guarded(run: Callable[[], Any]) -> Callable[[], Any]:
    def guarded() -> Any:
        try:
            return run()
        except Exception as e:
            return Failed(e)

    return guarded


def regrow_peer(loads: Callable[[str], Any]) -> Peer:
    """A peer that parses the whole growing buffer at every delta (a prefix it cannot read yet
    leaves the previous value shown)."""

    def make(ds: list[str]) -> Callable[[], Any]:
        return lambda: _regrow(ds, loads)

    def steps(ds: list[str]) -> Iterator[Any]:
        buf = ""
        v = None
        for d in ds:
            buf += d
            if buf.strip():
                try:  # noqa: SIM105
                    v = loads(buf)
                except Exception:
                    pass
            yield v
        yield v

    return Peer(make, steps)


def _regrow(ds: list[str], loads: Callable[[str], Any]) -> Any:
    buf = ""
    v = None
    for d in ds:
        buf += d
        if buf.strip():
            try:  # noqa: SIM105 - a peer that cannot read this prefix yet: a caller tries again
                v = loads(buf)
            except Exception:
                pass
    return v


def _jiter(bs: list[bytes], from_json: Callable[..., Any]) -> Any:
    buf = b""
    v = None
    for b in bs:
        buf += b
        try:  # noqa: SIM105 - (leading whitespace only: it raises; a caller tries again)
            v = from_json(buf, partial_mode="trailing-strings")
        except ValueError:
            pass
    return v


def stepping_peer(start: Callable[[], Any], push: Callable[[Any, str], Any], end: Callable[[Any], Any]) -> Peer:
    """An incremental peer: ``st = start()``, ``push(st, d)`` returns the value after ``d``,
    ``end(st)`` the final value. Its run returns :class:`Failed` if it raises."""

    def make(ds: list[str]) -> Callable[[], Any]:
        def run() -> Any:
            st = start()
            for d in ds:
                push(st, d)
            return end(st)

        return _guarded(run)

    def steps(ds: list[str]) -> Iterator[Any]:
        st = start()
        for d in ds:
            yield push(st, d)
        yield end(st)

    return Peer(make, steps)


# ---- the value built from path events (ijp) ------------------------------------------------------


class PathBuilder:
    """A value built from ``(path, value)`` leaf events (ijp's): containers made as paths need
    them; ``append`` extends the string at ``path`` (a string part)."""

    def __init__(self) -> None:
        self.value: Any = None

    def _slot(self, path: list[Any]) -> tuple[Any, Any]:
        if self.value is None:
            self.value = {} if isinstance(path[0], str) else []
        node = self.value
        for key, nxt in pairwise(path):
            child = _get(node, key)
            if child is None:
                child = {} if isinstance(nxt, str) else []
                _set(node, key, child)
            node = child
        return node, path[-1]

    def set(self, path: list[Any], value: Any) -> None:
        if not path:
            self.value = value
            return
        node, key = self._slot(path)
        _set(node, key, value)

    def append(self, path: list[Any], part: str) -> None:
        if not path:
            self.value = (self.value or "") + part
            return
        node, key = self._slot(path)
        old = _get(node, key)
        _set(node, key, (old if isinstance(old, str) else "") + part)


def _get(node: Any, key: Any) -> Any:
    if isinstance(node, dict):
        return node.get(key)
    return node[key] if key < len(node) else None


def _set(node: Any, key: Any, value: Any) -> None:
    if isinstance(node, dict) or key < len(node):
        node[key] = value
    else:
        node.append(value)


# ---- the peers -------------------------------------------------------------------------------------


def partial_peers(only_ours: bool = False, synthetic: bool = False) -> dict[str, Peer]:
    """Every installed peer that gives a partial value after each delta; ``synthetic`` adds those
    that need the schema of the synthetic documents (``support.docs.llm_document``)."""
    peers: dict[str, Peer] = {}
    if only_ours:
        return peers
    try:
        import jiter

        def run_jiter(ds: list[str]) -> Any:
            bs = [d.encode() for d in ds]  # (encoding is not jiter's cost: done before timing)
            return lambda: _jiter(bs, jiter.from_json)

        def jiter_loads(buf: str) -> Any:
            return jiter.from_json(buf.encode(), partial_mode="trailing-strings")

        peers["jiter (trailing-strings, re-parse)"] = Peer(run_jiter, regrow_peer(jiter_loads).steps)
    except ImportError:
        pass
    try:
        import partial_json_parser

        peers["partial-json-parser (re-parse)"] = regrow_peer(partial_json_parser.loads)
    except ImportError:
        pass
    try:
        from pydantic import TypeAdapter

        any_adapter: Any = TypeAdapter(Any)

        def pydantic_partial(buf: str) -> Any:
            return any_adapter.validate_json(buf, experimental_allow_partial="trailing-strings")

        peers["pydantic experimental_allow_partial (re-parse)"] = regrow_peer(pydantic_partial)
    except ImportError:
        pass
    try:
        import streamingjson

        def run_streamingjson(ds: list[str]) -> Any:
            def run() -> Any:
                lexer = streamingjson.Lexer()
                v = None
                for d in ds:
                    lexer.append_string(d)  # incremental, but completing the text is not
                    try:  # noqa: SIM105 - nothing to complete yet (whitespace): try again
                        v = json.loads(lexer.complete_json())
                    except ValueError:
                        pass
                return v

            return run

        def steps_streamingjson(ds: list[str]) -> Iterator[Any]:
            lexer = streamingjson.Lexer()
            v = None
            for d in ds:
                lexer.append_string(d)
                try:  # noqa: SIM105
                    v = json.loads(lexer.complete_json())
                except ValueError:
                    pass
                yield v
            yield v

        peers["streamingjson (complete_json + json.loads)"] = Peer(run_streamingjson, steps_streamingjson)
    except ImportError:
        pass
    try:
        import jsonriver

        async def _aiter(ds: list[str]) -> Any:
            for d in ds:
                yield d

        def run_jsonriver(ds: list[str]) -> Any:
            async def consume() -> Any:
                v = None
                async for value in jsonriver.parse(_aiter(ds)):
                    v = value  # each yield is the value so far
                return v

            return lambda: asyncio.run(consume())

        def steps_jsonriver(ds: list[str]) -> Iterator[Any]:
            async def collect() -> list[Any]:
                out = []
                async for value in jsonriver.parse(_aiter(ds)):
                    out.append(copy.deepcopy(value))  # (it updates the value in place)
                return out

            out = asyncio.run(collect())
            yield from out
            yield out[-1] if out else None

        peers["jsonriver (Python port, incremental)"] = Peer(run_jsonriver, steps_jsonriver)
    except ImportError:
        pass
    try:
        import json_repair

        peers["json_repair (re-parse)"] = regrow_peer(json_repair.loads)
    except ImportError:
        pass
    try:
        from langchain_core.utils.json import parse_partial_json

        peers["LangChain parse_partial_json (re-parse)"] = regrow_peer(parse_partial_json)
    except ImportError:
        pass
    try:
        from partialjson import JSONParser

        pj = JSONParser(on_extra_token=lambda *_: None)  # (its default prints extra tokens)
        peers["partialjson (re-parse)"] = regrow_peer(pj.parse)
    except ImportError:
        pass
    try:
        import partial_json_stream

        if hasattr(partial_json_stream, "JsonStreamParser"):  # the package partial-json-stream
            JsonStreamParser = partial_json_stream.JsonStreamParser

            def pjs_push(st: Any, d: str) -> Any:
                st.push(d)
                return st.snapshot().value

            def pjs_end(st: Any) -> Any:
                st.end()
                return st.snapshot().value

            peers["partial-json-stream (incremental; snapshot deep-copies)"] = stepping_peer(
                JsonStreamParser, pjs_push, pjs_end
            )
        elif hasattr(partial_json_stream, "PartialJsonStream"):  # stream-json-repair, same module
            PartialJsonStream = partial_json_stream.PartialJsonStream
            peers["stream-json-repair (re-parse)"] = stepping_peer(
                PartialJsonStream, lambda st, d: st.push(d), lambda st: st.push("")
            )
    except ImportError:
        pass
    try:
        from ijp import IncrementalJSONParser

        def ijp_start() -> Any:
            return IncrementalJSONParser(), PathBuilder()

        def ijp_push(st: Any, d: str) -> Any:
            p, b = st
            p.send(d)
            for path, kind, value in p:
                if kind == "stringpart":
                    b.append(path, value)
                else:  # string (the whole: it replaces the parts), int, float, logical
                    b.set(path, value)
            return b.value

        def ijp_end(st: Any) -> Any:
            p, b = st
            p.close()  # (raises for an incomplete document)
            return b.value

        peers["ijp (incremental events; value built from them)"] = stepping_peer(ijp_start, ijp_push, ijp_end)
    except ImportError:
        pass
    try:
        from jaxn import JSONParserHandler, StreamingJSONParser

        class TopLevel(JSONParserHandler):  # type: ignore[misc]
            def __init__(self) -> None:
                self.value: dict[str, Any] = {}

            def on_field_end(self, path: str, field_name: str, value: str, parsed_value: Any = None) -> None:
                if path == "":
                    self.value[field_name] = parsed_value

        def jaxn_start() -> Any:
            h = TopLevel()
            return StreamingJSONParser(h), h

        def jaxn_push(st: Any, d: str) -> Any:
            st[0].parse_incremental(d)
            return st[1].value

        peers["jaxn (SAX callbacks; top-level fields as they complete)"] = stepping_peer(
            jaxn_start, jaxn_push, lambda st: st[1].value
        )
    except ImportError:
        pass
    if synthetic:
        with contextlib.suppress(ImportError):
            peers[PARTIAL_ONLY_SYNTHETIC] = langdiff_peer()
    return peers


def langdiff_peer() -> Peer:
    """langdiff on the synthetic documents: a schema of ``support.docs.llm_document``."""
    import langdiff as ld

    # (made with type(): langdiff reads the classes' __annotations__ as types, and this module's
    # annotations are strings)
    def schema(name: str, fields: dict[str, Any]) -> Any:
        return type(name, (ld.Object,), {"__annotations__": fields})

    meta = schema("Meta", {"rank": ld.Atom[int], "ratio": ld.Atom[float], "note": ld.String})
    item = schema(
        "Item",
        {
            "id": ld.Atom[int],
            "name": ld.String,
            "score": ld.Atom[float],
            "tags": ld.List[ld.String],
            "active": ld.Atom[bool],
            "parent": ld.Atom[int | None],
            "meta": meta,
        },
    )
    document = schema("Document", {"title": ld.String, "summary": ld.String, "items": ld.List[item]})

    def start() -> Any:
        root = document()
        return ld.Parser(root), root

    def push(st: Any, d: str) -> Any:
        st[0].push(d)
        return st[1].value

    def end(st: Any) -> Any:
        st[0].complete()
        return st[1].value

    return stepping_peer(start, push, end)
