"""atheris harness: JSONLParser(on_error="skip"): every good line delivered, every bad one reported.

    python fuzz/fuzz_jsonl.py [libFuzzer options] [corpus dirs]   (see fuzz/README.md)
"""

from _run import fuzz

if __name__ == "__main__":
    fuzz("check_jsonl")
