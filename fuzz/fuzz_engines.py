"""atheris harness: the C engine against the Python engine, fed the same data-derived pieces.

    python fuzz/fuzz_engines.py [libFuzzer options] [corpus dirs]   (see fuzz/README.md)

Compared: every feed's result and partial value, every raw event (kind, value, key), and the
error if any (see oracle.check_engines). Coverage guidance comes from the Python engine, which
runs every input beside the C one.
"""

from _run import fuzz

if __name__ == "__main__":
    fuzz("check_engines")
