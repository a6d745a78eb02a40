"""Engine selection: the compiled engine (``_cengine.c``) and the pure-Python one (``build.py``).

The whole suite runs once per engine (``python3 dev.py test``); these tests check that the
choice is real and explicit, so that a pass meant for one engine cannot silently test the other.
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

import partialjson
import partialjson.build
import partialjson.parser

PACKAGE = Path(partialjson.__file__).parent
EXTENSION_BUILT = any((PACKAGE / f"_cengine{suffix}").exists() for suffix in EXTENSION_SUFFIXES)
ENGINES = ["python", "compiled"] if EXTENSION_BUILT else ["python"]


def probe(engine: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import partialjson, partialjson.build as b, partialjson.parser as p; "
        "print(partialjson.ENGINE, b.engine is b.python_engine, p.engine is b.engine, "
        "partialjson.parse_partial('{\"a\": [1, \"x')) "
    )
    env = {**os.environ, "PARTIALJSON_ENGINE": engine}
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )


def test_this_process_runs_the_engine_it_was_asked_for() -> None:
    asked = os.environ.get("PARTIALJSON_ENGINE", "auto")
    if asked == "auto":
        assert ("compiled" if EXTENSION_BUILT else "python") == partialjson.ENGINE
    else:
        assert asked == partialjson.ENGINE
    build = partialjson.build
    assert partialjson.parser.engine is build.engine
    assert (build.engine is build.python_engine) == (partialjson.ENGINE == "python")
    if partialjson.ENGINE == "compiled":
        assert type(build.engine).__name__ == "builtin_function_or_method"
        assert build.engine.__module__ == "partialjson._cengine"


def test_python_engine_is_kept_even_beside_the_extension() -> None:
    out = probe("python")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["python", "True", "True", "{'a':", "[1,", "'x']}"]


def test_compiled_engine_is_used_or_its_absence_is_an_error() -> None:
    out = probe("compiled")
    if EXTENSION_BUILT:
        assert out.returncode == 0, out.stderr
        assert out.stdout.split() == ["compiled", "False", "True", "{'a':", "[1,", "'x']}"]
    else:
        assert out.returncode != 0
        assert "ImportError: PARTIALJSON_ENGINE=compiled" in out.stderr


def test_unknown_engine_name_is_an_import_error() -> None:
    out = probe("rust")
    assert out.returncode != 0
    assert "PARTIALJSON_ENGINE must be auto, python or compiled, not 'rust'" in out.stderr


@pytest.mark.parametrize("engine", ENGINES)
def test_engines_raise_the_public_error_classes(engine: str) -> None:
    code = (
        "import partialjson\n"
        "try:\n"
        "    partialjson.Parser().feed('[1, }')\n"
        "except partialjson.ParseError as e:\n"
        "    print(type(e).__name__, e.offset, e.line, e.column)\n"
    )
    env = {**os.environ, "PARTIALJSON_ENGINE": engine}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["ParseError", "4", "1", "5"]


def test_an_extension_older_than_its_source_is_stale(tmp_path: Path) -> None:
    from types import ModuleType

    from partialjson import _engine

    source = os.path.getmtime(PACKAGE / "_cengine.c")
    fake = ModuleType("partialjson._cengine")
    fake.__file__ = str(tmp_path / "_cengine.so")
    (tmp_path / "_cengine.so").write_bytes(b"")
    os.utime(fake.__file__, (source - 60, source - 60))
    assert _engine._stale(fake)  # _cengine.c edited after the build: tests would run old code
    os.utime(fake.__file__, (source - 1, source - 1))
    assert not _engine._stale(fake)  # unpacked together (an install), within the tolerance
    assert not _engine.STALE
