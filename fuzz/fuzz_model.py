"""atheris harness: ModelParser on a small nested model, against Doc.model_validate_json.

    python fuzz/fuzz_model.py [libFuzzer options] [corpus dirs]   (see fuzz/README.md)
"""

from _run import fuzz

if __name__ == "__main__":
    fuzz("check_model")
