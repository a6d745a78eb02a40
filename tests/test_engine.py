"""Engine selection: the compiled engine (``_cengine.c``) and the pure-Python one (``build.py``).

The engine is chosen per parser (``engine=``; the default from ``MIDSTREAM_ENGINE``, read when
the parser is made), never by import order: these tests check that the choice is real and
explicit, so that a run meant for one engine cannot silently test the other.
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

import midstream
from midstream import JSONLParser, ModelParser, Parser
from midstream import engine as _engine
from midstream.engine import build

PACKAGE = Path(midstream.__file__).parent / "engine"
EXTENSION_BUILT = any((PACKAGE / f"_cengine{suffix}").exists() for suffix in EXTENSION_SUFFIXES)
ENGINES = ["python", "compiled"] if EXTENSION_BUILT else ["python"]


def runs(p: Parser, name: str) -> bool:
    """Whether parser ``p`` really runs engine ``name`` (not only says so)."""
    state = p.feed.__self__  # type: ignore[attr-defined]  # the generator, or the C engine object
    if name == "python":
        return getattr(state, "gi_code", None) is build._machine.__code__
    return type(state).__module__ + "." + type(state).__name__ == "midstream.engine._cengine.Engine"


def test_this_test_runs_the_engine_of_its_fixture(engine: str) -> None:
    assert engine == midstream.ENGINE
    p = Parser()
    assert p.engine == engine
    assert runs(p, engine)


@pytest.mark.parametrize("name", ENGINES)
def test_each_parser_runs_the_engine_it_asks_for(name: str) -> None:
    p = Parser(engine=name)
    assert p.engine == name and runs(p, name)
    other = "python" if name == "compiled" else name
    q = Parser(engine=other)  # two engines side by side in one process
    assert q.engine == other and runs(q, other)
    for parser in (p, q):
        parser.feed('{"a": [1, "x')
        assert parser.value == {"a": [1, "x"]}
    assert JSONLParser(engine=name).engine == name
    assert ModelParser(dict[str, list[int]], engine=name).engine == name


def test_auto_takes_the_compiled_engine_when_it_is_built() -> None:
    assert Parser(engine="auto").engine == ("compiled" if EXTENSION_BUILT else "python")
    assert _engine.available() == (("compiled", "python") if EXTENSION_BUILT else ("python",))


def test_the_environment_variable_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIDSTREAM_ENGINE", "python")
    _engine.set_default(None)  # as in a new process: read at the first parser made
    assert Parser().engine == "python" and midstream.ENGINE == "python"
    monkeypatch.delenv("MIDSTREAM_ENGINE")
    assert Parser().engine == "python"  # read once, not at every parser
    _engine.set_default(None)
    assert Parser().engine == Parser(engine="auto").engine
    _engine.set_default("python")
    assert Parser().engine == "python"
    with pytest.raises(ValueError, match="engine must be one of"):
        _engine.set_default("rust")


def test_unknown_engine_name_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="engine must be one of auto, python, compiled, not 'rust'"):
        Parser(engine="rust")


def test_import_order_does_not_decide_the_engine() -> None:
    # Importing the parser module before the engine package (or anything else first) changes
    # nothing: the engine is bound when a parser is made.
    code = (
        "import midstream.parser as p, midstream.jsonl, midstream.engine as e, midstream; "
        "print(p.Parser(engine='python').engine, p.Parser().engine, midstream.ENGINE, "
        "midstream.parse_partial('{\"a\": [1, \"x'))"
    )
    for asked in ENGINES:
        env = {**os.environ, "MIDSTREAM_ENGINE": asked}
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert out.stdout.split() == ["python", asked, asked, "{'a':", "[1,", "'x']}"]


def test_compiled_engine_missing_is_an_import_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_engine, "_tried", True)
    monkeypatch.setattr(_engine, "_module", None)  # as where the extension was never built
    with pytest.raises(ImportError, match="engine 'compiled' asked for, but the compiled engine is not installed"):
        Parser(engine="compiled")
    assert Parser(engine="auto").engine == "python"


@pytest.mark.parametrize("name", ENGINES)
def test_engines_raise_the_public_error_classes(name: str) -> None:
    with pytest.raises(midstream.ParseError) as info:
        Parser(engine=name).feed("[1, }")
    e = info.value
    assert (type(e).__name__, e.offset, e.line, e.column) == ("ParseError", 4, 1, 5)


def test_importing_does_not_import_the_extension_or_check_its_age() -> None:
    code = "import sys, midstream; print('midstream.engine._cengine' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False"]


def test_an_extension_older_than_its_source_is_stale(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from types import ModuleType

    source = os.path.getmtime(PACKAGE / "_cengine.c")
    fake = ModuleType("midstream.engine._cengine")
    fake.__file__ = str(tmp_path / "_cengine.so")
    (tmp_path / "_cengine.so").write_bytes(b"")
    monkeypatch.setattr(_engine, "_tried", True)
    monkeypatch.setattr(_engine, "_module", fake)
    os.utime(fake.__file__, (source - 60, source - 60))
    assert _engine.stale()  # _cengine.c edited after the build: tests would run old code
    os.utime(fake.__file__, (source - 1, source - 1))
    assert not _engine.stale()  # unpacked together (an install), within the tolerance


@pytest.mark.parametrize("name", ENGINES)
def test_a_feed_from_inside_a_feed_is_refused(name: str) -> None:
    """An event consumer that feeds its own parser gets ValueError (as a generator running
    already would say); the outer feed fails with it, and nothing is parsed out of order."""
    p = Parser(engine=name, on_event=lambda ev: p.feed("1"))
    with pytest.raises(ValueError, match="already executing"):
        p.feed("[1")
    assert p.value == []


@pytest.mark.parametrize("name", ENGINES)
def test_the_mirror_survives_a_source_that_changes_it(name: str) -> None:
    """hooks' mirror: its four items are held while they are used, so a source whose
    __getitem__ empties the mirror list changes nothing for this fragment (and cannot crash)."""
    _, make = _engine.get(name)

    class Owner:
        value = None

        def _fail(self, err: Exception) -> None:
            pass

    class Source:
        def __getitem__(self, key: int) -> str:
            mirror.clear()
            return "shown"

    target: dict[str, str] = {}
    mirror: list[object] = [target, "t", Source(), 0]
    record: list[object] = []
    gen = make(Owner(), None, hooks=(record, [], lambda: None, mirror))
    next(gen)
    assert gen.send("[1") == ()
    assert target == {"t": "shown"} and mirror == [] and record == ["[1"]
    assert gen.send(", 2]") == [[1, 2]]  # (the mirror is empty now: left alone)
    assert target == {"t": "shown"} and record == ["[1", ", 2]"]
