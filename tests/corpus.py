"""The former home of ``support.corpus``, kept for the test modules that still import it here.

(``test_jsonl.py`` and ``test_engines_agree.py``: delete this file once they import
``support.corpus``; ``CORPUS`` is the data folder, ``support.corpus.DATA``.)
"""

from support.corpus import DATA as CORPUS
from support.corpus import ROOT, STREAMS, TEST_PARSING, chunkings, random_splits

__all__ = ["CORPUS", "ROOT", "STREAMS", "TEST_PARSING", "chunkings", "random_splits"]
