"""atheris harness: Parser fed at data-derived split points, bytes and str.

    python fuzz/fuzz_parser.py [libFuzzer options] [corpus dirs]   (see fuzz/README.md)
"""

from _run import fuzz

if __name__ == "__main__":
    fuzz("check_parser")
