"""The atheris harnesses (``fuzz_*.py``); their oracles are ``support.oracle``."""

import sys

from support import oracle

# The oracles lived in ``fuzz/oracle.py``: ``fuzz.oracle`` still names the module for the test
# modules that import it there (test_jsonl.py, test_engines_agree.py). Delete these lines once
# they import ``support.oracle``.
sys.modules[__name__ + ".oracle"] = oracle
