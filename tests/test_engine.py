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

import midstream
import midstream.engine.build
import midstream.parser

PACKAGE = Path(midstream.__file__).parent / "engine"
EXTENSION_BUILT = any((PACKAGE / f"_cengine{suffix}").exists() for suffix in EXTENSION_SUFFIXES)
ENGINES = ["python", "compiled"] if EXTENSION_BUILT else ["python"]


def probe(engine: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import midstream, midstream.engine.build as b, midstream.parser as p; "
        "print(midstream.ENGINE, b.engine is b.python_engine, p.engine is b.engine, "
        "midstream.parse_partial('{\"a\": [1, \"x')) "
    )
    env = {**os.environ, "MIDSTREAM_ENGINE": engine}
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )


def test_this_process_runs_the_engine_it_was_asked_for() -> None:
    asked = os.environ.get("MIDSTREAM_ENGINE", "auto")
    if asked == "auto":
        assert ("compiled" if EXTENSION_BUILT else "python") == midstream.ENGINE
    else:
        assert asked == midstream.ENGINE
    build = midstream.engine.build
    assert midstream.parser.engine is build.engine
    assert (build.engine is build.python_engine) == (midstream.ENGINE == "python")
    if midstream.ENGINE == "compiled":
        assert type(build.engine).__name__ == "builtin_function_or_method"
        assert build.engine.__module__ == "midstream.engine._cengine"


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
        assert "ImportError: MIDSTREAM_ENGINE=compiled" in out.stderr


def test_unknown_engine_name_is_an_import_error() -> None:
    out = probe("rust")
    assert out.returncode != 0
    assert "MIDSTREAM_ENGINE must be auto, python or compiled, not 'rust'" in out.stderr


@pytest.mark.parametrize("engine", ENGINES)
def test_engines_raise_the_public_error_classes(engine: str) -> None:
    code = (
        "import midstream\n"
        "try:\n"
        "    midstream.Parser().feed('[1, }')\n"
        "except midstream.ParseError as e:\n"
        "    print(type(e).__name__, e.offset, e.line, e.column)\n"
    )
    env = {**os.environ, "MIDSTREAM_ENGINE": engine}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["ParseError", "4", "1", "5"]


def test_an_extension_older_than_its_source_is_stale(tmp_path: Path) -> None:
    from types import ModuleType

    from midstream import engine as _engine

    source = os.path.getmtime(PACKAGE / "_cengine.c")
    fake = ModuleType("midstream.engine._cengine")
    fake.__file__ = str(tmp_path / "_cengine.so")
    (tmp_path / "_cengine.so").write_bytes(b"")
    os.utime(fake.__file__, (source - 60, source - 60))
    assert _engine._stale(fake)  # _cengine.c edited after the build: tests would run old code
    os.utime(fake.__file__, (source - 1, source - 1))
    assert not _engine._stale(fake)  # unpacked together (an install), within the tolerance
    assert not _engine.STALE
