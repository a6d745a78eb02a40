#!/usr/bin/env python3
"""The project's commands, for a fresh machine with only ``python3``.

    python3 dev.py demo    # replay a bundled recorded LLM stream, printing the partial value
    python3 dev.py test    # the whole test suite: ruff, mypy --strict, pytest
    python3 dev.py bench   # benchmarks against the peers (installs the `bench` extra)

Each command first makes ``.venv`` (once) and installs the project into it with the extras it
needs; the install is repeated only when ``pyproject.toml`` changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"


def ensure(extras: str) -> None:
    if not PY.exists():
        print(f"creating {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / f".installed-{extras or 'core'}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    target = f".[{extras}]" if extras else "."
    print(f"installing partialjson{target[1:]} into {VENV} ...", flush=True)
    subprocess.run(
        [str(PY), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-e", target],
        cwd=ROOT,
        check=True,
    )
    stamp.write_text(digest)


def run(*args: str) -> int:
    return subprocess.run([str(PY), *args], cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    cmd = argv[0] if argv else "demo"
    rest = argv[1:]
    if cmd == "demo":
        ensure("")
        return run("-m", "partialjson", "demo", *rest)
    if cmd == "test":
        ensure("test")
        for step in (
            ("-m", "ruff", "check", "."),
            ("-m", "mypy"),
            ("-m", "pytest", *rest),
        ):
            print("$", "python", *step, flush=True)
            code = run(*step)
            if code:
                return code
        return 0
    if cmd == "bench":
        ensure("bench")
        return run("-m", "benchmarks", *rest)
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
