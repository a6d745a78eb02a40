"""The public surface: one error family, what importing loads, what the parsers share."""

from __future__ import annotations

import pickle
import subprocess
import sys

import pytest
from pydantic import BaseModel, ValidationError

import midstream
from midstream import (
    IncompleteJSONError,
    JSONLParser,
    LimitExceededError,
    MidstreamError,
    ModelParser,
    ParseError,
    Parser,
    StreamValidationError,
)


class Item(BaseModel):
    qty: int


def test_every_input_error_is_one_family() -> None:
    for cls in (ParseError, IncompleteJSONError, LimitExceededError, StreamValidationError):
        assert issubclass(cls, MidstreamError) and issubclass(cls, ValueError)
    assert not issubclass(StreamValidationError, ParseError)  # a valid JSON text, an invalid value
    with pytest.raises(MidstreamError) as info:
        p = ModelParser(Item)
        p.feed('{"qty": "x"}')
    e = info.value
    assert isinstance(e, StreamValidationError)
    assert e.offset == e.consumed == len('{"qty": "x"}')
    assert e.errors()[0]["loc"] == ("qty",)


def test_stream_validation_error_pickles() -> None:
    try:
        Item.model_validate_json('{"qty": "x"}')
    except ValidationError as v:
        e = StreamValidationError(v, ("items", 0), {"a": 1}, 12, 3)
    back = pickle.loads(pickle.dumps(e))
    assert (back.path, back.partial, back.consumed, back.line, str(back)) == (
        ("items", 0), {"a": 1}, 12, 3, str(e),
    )


def test_parser_is_not_a_mapping() -> None:
    # (the engine's slot for an open top-level string is private: p["x"] = 1 set .value)
    p = Parser()
    with pytest.raises(TypeError):
        p["x"] = 1  # type: ignore[index]
    with pytest.raises(TypeError):
        p[0]  # type: ignore[index]
    p.feed('"a top-level string, still open')
    assert p.value == "a top-level string, still open"
    p.feed(' and growing"')
    assert p.close() == "a top-level string, still open and growing"


@pytest.mark.parametrize("make", [Parser, JSONLParser, lambda: ModelParser(list[int])])
def test_the_parsers_share_failed_closed_and_feed_after_the_end(make: type) -> None:
    p = make()
    assert p.failed is None and p.closed is False
    p.feed("[1]\n" if isinstance(p, JSONLParser) else "[1]")
    p.close()
    assert p.closed is True and p.failed is None
    with pytest.raises(ParseError, match=r"feed\(\) after close\(\)"):
        p.feed("[2]")
    q = make()
    with pytest.raises(ParseError):
        q.feed("[1,,\n")
    assert isinstance(q.failed, ParseError)
    with pytest.raises(ParseError, match=r"feed\(\) after"):
        q.feed("[2]")


def test_import_loads_only_what_the_parser_needs(engine: str) -> None:
    code = (
        "import sys, midstream; midstream.Parser().feed('{\"a\": [1, \"x\"]}'); "
        "print(sorted(m for m in ('orjson', 'pydantic', 're', 'json', 'typing', 'midstream.jsonl', "
        "'midstream.events', 'midstream.validation') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    # (the Python engine scans with regexes and the stdlib's number scanner, loaded when it runs)
    assert out.stdout.strip() == ("[]" if engine == "compiled" else "['json', 're']")


def test_lazy_names_resolve() -> None:
    assert midstream.JSONLParser is JSONLParser and midstream.ModelParser is ModelParser
    assert callable(midstream.iter_partial) and callable(midstream.aiter_jsonl)
    assert midstream.ENGINE in ("compiled", "python")
    with pytest.raises(AttributeError):
        midstream.nothing_here  # type: ignore[attr-defined]  # noqa: B018
    assert set(midstream.__all__) <= set(dir(midstream)) | set(midstream._LAZY) | {"ENGINE"}
