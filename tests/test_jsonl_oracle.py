"""JSONLParser against a line-by-line oracle, whatever the split.

The oracle reads each line on its own: ``json.loads`` says whether it is a record (and its
value); :class:`~midstream.Parser` fed the whole line says where a bad line fails (the error's
type, message and column; its offset moved to the line's place in the stream). The parser, fed
the same stream cut anywhere, as ``str`` or ``bytes``, must deliver the same records and the
same errors (type, message, line, offset, column), in ``on_error="skip"`` and ``"raise"`` modes,
with and without a model, with the default limits and with small ones.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from midstream import JSONLParser, LimitExceededError, ParseError, Parser, StreamValidationError
from support.oracle import reference, same
from tests.strategies import json_values, mutated, splits

BOM = b"\xef\xbb\xbf"
BLANK = b" \t\r"

good_lines = st.builds(
    lambda v, ascii_only: json.dumps(v, ensure_ascii=ascii_only), json_values, st.booleans()
)
# mutated documents are mostly malformed; their newlines would make several lines of one
bad_lines = mutated().map(lambda t: t.replace("\n", " "))
odd_lines = st.sampled_from(
    [
        "",
        " ",
        " \t\r",
        "\ufeff",
        "\ufeff[1]",
        " " * 40,
        "\f",
        "NaN",
        "[Infinity]",
        '{"a": -Infinity}',
        '"NaN Infinity"',
        "12345678901234567890123",
        '{"n": -123456789012345678901234567890}',
        "1e400",
        "0." + "1" * 40,
        "[[[[[[1]]]]]]",
        '{"a": {"b": {"c": {"d": []}}}}',
        '"' + "x" * 40 + '"',
        '{"' + "k" * 12 + '": 1}',
        '"\\ud800"',
        "[1]\x00",
        '"tab\there"',
        "[1,]",
        "{} {}",
    ]
)
lines_strategy = st.lists(st.one_of(good_lines, bad_lines, odd_lines), max_size=8)
limits_strategy = st.sampled_from(
    [
        {},
        {},
        {"max_depth": 3},
        {"max_string": 8},
        {"max_number": 6},
        {"max_line": 30},
        {"max_depth": 2, "max_string": 5, "max_number": 4, "max_line": 24},
    ]
)


def _byte_offset(line: bytes, char_offset: int, as_str: bool) -> int:
    errors = "surrogatepass" if as_str else "replace"
    text = line.decode("utf-8", errors)
    return len(text[:char_offset].encode("utf-8", errors)) + max(0, char_offset - len(text))


def oracle(
    payload: str | bytes, model: Any = None, **options: Any
) -> tuple[list[tuple[int, Any]], list[tuple[Any, ...]]]:
    """The records of ``payload`` with their line numbers, and its errors (type, message, line,
    offset, column), line by line."""
    as_str = isinstance(payload, str)
    data = payload.encode("utf-8", "surrogatepass") if isinstance(payload, str) else payload
    max_line = options.pop("max_line", 64 * 1024 * 1024)
    adapter = None
    if model is not None:
        from pydantic import TypeAdapter

        adapter = TypeAdapter(model)
    records: list[tuple[int, Any]] = []
    errors: list[tuple[Any, ...]] = []
    start = 0
    for n, line in enumerate(data.split(b"\n"), 1):
        here, start = start, start + len(line) + 1
        bom = n == 1 and not as_str and line.startswith(BOM)
        bare = line[3:] if bom else line
        if len(line) > max_line:
            # the column of the character holding the line's byte max_line
            column, end = 0, 0
            while end <= max_line:
                end += len(line.decode("utf-8", "surrogatepass")[column].encode("utf-8", "surrogatepass"))
                column += 1
            errors.append((LimitExceededError, f"line longer than max_line={max_line} bytes", n, here + max_line, column))
            continue
        if not bare.strip(BLANK):
            continue
        if n > 1 and not as_str and line.startswith(BOM):
            errors.append((ParseError, "unexpected byte order mark (only the stream may start with one)", n, here, 1))
            continue
        # json.loads' verdict (NaN and Infinity are not JSON; only bytes may open with a BOM)
        try:
            text: str | None = bare.decode("utf-8", "surrogatepass" if as_str else "strict")
        except UnicodeDecodeError:
            text = None
        verdict, value = ("error", None) if text is None else reference(text)
        p = Parser(**options)
        try:
            p.feed(line.decode("utf-8", "surrogatepass") if as_str else line)
            parsed = p.close()
        except ParseError as e:
            if not isinstance(e, LimitExceededError):
                assert verdict != "ok", (line, e)  # json.loads and the engine agree
            offset = here + (3 if bom else 0) + _byte_offset(bare, e.offset, as_str)
            errors.append((type(e), e.msg, n, offset, e.column))
            continue
        assert verdict == "ok" and same(parsed, value), line
        if adapter is None:
            records.append((n, value))
            continue
        from pydantic import ValidationError

        try:
            records.append((n, adapter.validate_json(bare)))
        except ValidationError as e:
            errors.append((StreamValidationError, str(StreamValidationError(e, line=n)), n, start))
    return records, errors


def _seen(err: Any) -> tuple[Any, ...]:
    if isinstance(err, StreamValidationError):
        return (type(err), str(err), err.line, err.offset)
    return (type(err), err.msg, err.line, err.offset, err.column)


def _skip_run(chunks: list[Any], **options: Any) -> tuple[list[Any], list[tuple[Any, ...]]]:
    j = JSONLParser(on_error="skip", **options)
    got: list[Any] = []
    for c in chunks:
        got += j.feed(c)
    got += j.close()
    assert j.failed is None and j.closed
    return got, [_seen(e) for e in j.errors]


def _raise_run(chunks: list[Any], **options: Any) -> tuple[list[Any], tuple[Any, ...] | None]:
    j = JSONLParser(**options)
    got: list[Any] = []
    try:
        for c in chunks:
            got += j.feed(c)
        got += j.close()
    except (ParseError, StreamValidationError) as e:
        assert j.failed is e and not j.closed
        try:
            j.feed(b"[1]\n" if isinstance(chunks[0], bytes) else "[1]\n")
            raise AssertionError("feed() after an error")
        except ParseError as again:
            assert again.__cause__ is e and "after a parse error" in again.msg
        return got + e.partial, _seen(e)
    assert j.failed is None and j.closed
    return got, None


def _payload(lines: list[str], ends: list[str], as_bytes: bool, bom: bool) -> str | bytes:
    text = "".join(line + end for line, end in zip(lines, ends, strict=False))
    if len(ends) < len(lines):
        text += "".join(lines[len(ends) :])
    text = ("\ufeff" if bom else "") + text
    return text.encode("utf-8", "surrogatepass") if as_bytes else text


def _same_records(got: list[Any], expected: list[Any]) -> bool:
    return len(got) == len(expected) and all(map(same, got, expected))


def _check(data: st.DataObject, payload: str | bytes, model: Any = None, **options: Any) -> None:
    records, errors = oracle(payload, model, **dict(options))
    values = [v for _, v in records]
    if model is not None:
        options["model"] = model
    each = [payload[k : k + 1] for k in range(len(payload))]
    for chunks in ([payload], data.draw(splits(payload)), each):
        got, seen = _skip_run(chunks, **options)
        assert seen == errors
        assert _same_records(got, values)
    got, first = _raise_run(data.draw(splits(payload)), **options)
    assert first == (errors[0] if errors else None)
    # the records of the lines before the first error (all of them without one)
    stop = first[2] if first else len(payload) + 1
    assert _same_records(got, [v for n, v in records if n < stop])


@settings(max_examples=150, deadline=None)
@given(
    st.data(),
    lines_strategy,
    st.lists(st.sampled_from(["\n", "\n", "\r\n", "\n\n"]), max_size=8),
    st.booleans(),
    st.booleans(),
    limits_strategy,
)
def test_against_line_oracle(
    data: st.DataObject,
    lines: list[str],
    ends: list[str],
    as_bytes: bool,
    bom: bool,
    limits: dict[str, int],
) -> None:
    _check(data, _payload(lines, ends, as_bytes, bom), **limits)


@settings(max_examples=60, deadline=None)
@given(
    st.data(),
    lines_strategy,
    st.lists(st.sampled_from(["\n", "\r\n"]), max_size=8),
    st.booleans(),
    limits_strategy,
)
def test_against_line_oracle_with_model(
    data: st.DataObject, lines: list[str], ends: list[str], as_bytes: bool, limits: dict[str, int]
) -> None:
    """With a model, bad JSON is the same ParseError; records are pydantic's own."""
    _check(data, _payload(lines, ends, as_bytes, False), Any, **limits)
