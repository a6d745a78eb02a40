"""Helpers shared by ``tests/``, ``fuzz/`` and ``benchmarks/`` (a development tool, never installed).

The three import from here and never from each other (a test may still run a harness or the
benchmarks as a subprocess):

* ``corpus``: the test data in ``tests/data`` (paths, recorded LLM streams), the standard splitters.
* ``oracle``: the fuzz oracles (``check_parser``, ``check_jsonl``, ``check_engines``,
  ``check_model``) and ``same``, the exact equality the tests compare values with.
* ``docs``: deterministic generated inputs (LLM-like documents, JSONL, seeded deltas).
* ``memory``: peak memory of a call (tracemalloc).
"""
