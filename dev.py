#!/usr/bin/env python3
"""The project's commands, for a fresh machine with only ``python3``.

    python3 dev.py demo    # replay a bundled recorded LLM stream, printing the partial value
    python3 dev.py test    # the whole test suite: ruff, mypy --strict, pytest
    python3 dev.py bench   # benchmarks against the peers (installs the `bench` extra)

Each command first makes ``.venv`` (once) and installs the project into it with the extras it
needs. The install compiles the engine's C accelerator when it can (see ``setup.py``); it is
repeated when ``pyproject.toml``, ``setup.py`` or the C source changes, so the compiled engine
never lags behind its source.

``test`` runs pytest once: every test in ``tests/`` runs on each engine that is installed (the
``engine`` fixture of ``tests/conftest.py``); the benchmarks' own tests (``benchmarks/test_*.py``)
run once. Under CI (``CI`` set) a missing compiled engine is a failure. Everything the tests read
is in the repository (``tests/data``).

``test`` also needs a browser (``tests/test_browser.py`` drives headless Chromium): when
``/usr/bin/chromium`` or ``/usr/bin/chromedriver`` is missing and this runs as root with
``apt-get`` (CI's fresh machine), it runs ``.ci/setup`` first (Debian's ``chromium`` and
``chromium-driver``), saying so; otherwise it says how to install them (the browser test is then
skipped, or fails under CI).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
#: What setup.py compiles: a change to it means recompiling.
COMPILED = ["src/midstream/engine/_cengine.c"]


def ensure(extras: str) -> None:
    if not PY.exists():
        print(f"creating {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256(extras.encode())
    for name in ("pyproject.toml", "setup.py", *COMPILED):
        digest.update((ROOT / name).read_bytes())
    stamp_text = digest.hexdigest()
    stamp = VENV / f".installed-{extras or 'core'}"
    if stamp.exists() and stamp.read_text() == stamp_text:
        return
    target = f".[{extras}]" if extras else "."
    print(f"installing midstream{target[1:]} into {VENV} ...", flush=True)
    subprocess.run(
        [str(PY), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-e", target],
        cwd=ROOT,
        check=True,
    )
    stamp.write_text(stamp_text)


def ensure_browser() -> None:
    """Chromium and chromedriver for tests/test_browser.py: installed by .ci/setup when missing
    and this runs as root (system packages: pip cannot install them)."""
    if all(os.path.exists(p) for p in ("/usr/bin/chromium", "/usr/bin/chromedriver")):
        return
    if os.name != "posix" or os.geteuid() != 0 or not shutil.which("apt-get"):
        print(
            "note: chromium / chromedriver are missing, so tests/test_browser.py will be skipped "
            "(under CI: fail); install them with: sudo .ci/setup",
            flush=True,
        )
        return
    print("$ .ci/setup   # chromium and chromedriver, for tests/test_browser.py", flush=True)
    code = subprocess.run(["bash", str(ROOT / ".ci" / "setup")], cwd=ROOT).returncode
    if code:
        print(f".ci/setup failed ({code}): tests/test_browser.py will say so", flush=True)


def run(*args: str, env: dict[str, str] | None = None) -> int:
    return subprocess.run([str(PY), *args], cwd=ROOT, env={**os.environ, **(env or {})}).returncode


def main(argv: list[str]) -> int:
    cmd = argv[0] if argv else "demo"
    rest = argv[1:]
    if cmd == "demo":
        ensure("cli")
        return run("-m", "midstream", "demo", *rest)
    if cmd == "test":
        ensure("test")
        ensure_browser()
        for step in (("-m", "ruff", "check", "."), ("-m", "mypy")):
            print("$ python", *step, flush=True)
            code = run(*step)
            if code:
                return code
        print("$ python -m pytest", *rest, flush=True)  # every test on each engine (tests/conftest.py)
        return run("-m", "pytest", *rest)
    if cmd == "bench":
        ensure("bench")
        return run("-m", "benchmarks", *rest)
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
