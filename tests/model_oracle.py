"""The oracle of ModelParser: ``TypeAdapter(tp).validate_json(text)`` on the whole text.

:func:`check_document` feeds the pieces of a document to :class:`~midstream.ModelParser`, reading
``partial`` and ``value`` after every feed, and asserts:

* the result of ``close()`` is pydantic's, field by field (values, ``model_fields_set``, extras,
  private attributes: :func:`state`), or its error list, error by error (type, location, message);
* ``feed`` fails only on a document pydantic rejects (the one exception: an object with a repeated
  key, whose first value is judged as it closes while pydantic keeps the last one), with errors
  whose (type, location) are among pydantic's (unless pydantic's JSON parser refuses the text
  after the failing part, a lone surrogate escape: then its one error is ``json_invalid``), and
  it does fail on every document pydantic
  rejects, at the latest in the feed that completes the document;
* every reported part's value is the corresponding part of the result;
* ``partial`` never raises; malformed JSON is a ``ParseError`` only where ``json.loads`` agrees.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, RootModel, TypeAdapter, ValidationError

from midstream import (
    IncompleteJSONError,
    LimitExceededError,
    ModelParser,
    ParseError,
    StreamValidationError,
)
from support.oracle import reference, reference_bytes, repeats_a_key


def state(v: Any) -> Any:
    """What equality of two validated results means here: values and types, and for models the
    fields set, the extras and the private attributes too (iterative: no recursion limit)."""
    out: list[Any] = []
    todo: list[Any] = [v]
    while todo:
        x = todo.pop()
        if isinstance(x, BaseModel):
            out.append(("model", type(x), sorted(x.model_fields_set), sorted(x.__dict__)))
            todo.extend([x.__dict__, x.__pydantic_extra__, x.__pydantic_private__])
        elif isinstance(x, dict):
            out.append(("dict", type(x), list(x)))
            todo.extend(x.values())
        elif isinstance(x, (list, tuple, set, frozenset)):
            items = sorted(x, key=repr) if isinstance(x, (set, frozenset)) else list(x)
            out.append(("seq", type(x), len(items)))
            todo.extend(items)
        elif hasattr(x, "__dataclass_fields__"):
            out.append(("dataclass", type(x)))
            todo.append({k: getattr(x, k) for k in x.__dataclass_fields__})
        elif isinstance(x, float) and x != x:
            out.append((float, "nan"))
        else:
            out.append((type(x), repr(x)))
    return out


def error_list(e: ValidationError | StreamValidationError) -> list[tuple[str, tuple[Any, ...], str]]:
    return [(d["type"], tuple(d["loc"]), d["msg"]) for d in e.errors()]


def part_at(result: Any, path: Sequence[Any], tp_keys: dict[str, str] | None = None) -> Any:
    """The part of a validated ``result`` at a JSON ``path`` (None: not reachable simply)."""
    x = result
    for key in path:
        if isinstance(x, RootModel):
            x = x.root
        if isinstance(x, BaseModel):
            fields = type(x).model_fields
            name = next(
                (n for n, f in fields.items() if key in (n, f.alias, f.validation_alias)),
                None,
            )
            if name is None:
                extra = x.__pydantic_extra__ or {}
                if key not in extra:
                    return _UNREACHABLE
                x = extra[key]
            else:
                x = getattr(x, name)
        elif isinstance(x, dict):
            if key not in x:
                return _UNREACHABLE
            x = x[key]
        elif isinstance(x, (list, tuple)) and isinstance(key, int) and key < len(x):
            x = x[key]
        else:
            return _UNREACHABLE
    return x


_UNREACHABLE: Any = object()


def _reference(text: str | bytes) -> str:
    """``json.loads``' verdict as the parser oracle reads it (NaN is not JSON, UTF-8 only)."""
    return (reference_bytes(text) if isinstance(text, bytes) else reference(text))[0]


def check_document(tp: Any, pieces: Sequence[str | bytes], read_partial: bool = True) -> str:
    """Check one document, fed in ``pieces`` (see the module docstring); returns the verdict:
    "valid", "invalid" or "malformed"."""
    text: Any = "".join(pieces) if all(isinstance(p, str) for p in pieces) else b"".join(
        p.encode() if isinstance(p, str) else p for p in pieces
    )
    body = text[3:] if isinstance(text, bytes) and text.startswith(b"\xef\xbb\xbf") else text
    end = len(text.rstrip())  # the document ends with its last non-blank character ...
    if text[end - 1 : end] in ("0123456789" if isinstance(text, str) else b"0123456789"):
        end += 1  # ... or, a top-level number, at the character after it
    p = ModelParser(tp)
    early: StreamValidationError | None = None
    early_at = -1
    reported: list[Any] = []
    fed = 0
    last = 0  # index of the piece that holds the document's last character
    try:
        for k, piece in enumerate(pieces):
            if fed < end <= fed + len(piece):
                last = k
            fed += len(piece)
            try:
                reported += p.feed(piece)
            except StreamValidationError as e:
                assert early is None, "feed raises once"
                early, early_at = e, k
            if read_partial:
                p.partial  # noqa: B018 - never raises
        result: Any = p.close()
    except LimitExceededError:
        return "malformed"  # (a limit: max_depth, max_string, max_number)
    except (IncompleteJSONError, ParseError):
        assert _reference(text) != "ok", "ModelParser rejected JSON that json.loads accepts"
        return "malformed"
    except StreamValidationError as e:
        result = e
    try:
        expected: Any = TypeAdapter(tp).validate_json(body)
    except ValidationError as e:
        assert isinstance(result, StreamValidationError), f"accepted what pydantic rejects: {e}"
        assert error_list(result) == error_list(e)
        # (a top-level number completes only at close(), or at the blank that follows it)
        open_number = text[-1:] in ("0123456789" if isinstance(text, str) else b"0123456789")
        assert early is not None or open_number, "an invalid document was not reported by any feed"
        assert early_at <= last, f"reported in feed {early_at}, after the one completing it ({last})"
        types_locs = {(t, loc) for t, loc, _ in error_list(e)}
        json_level = [t for t, _, _ in error_list(e)] == ["json_invalid"]  # (its JSON parser
        for t, loc, _ in error_list(early) if early is not None and not json_level else []:  # stops)
            assert (t, loc) in types_locs, f"early error {(t, loc)} is not pydantic's: {error_list(e)}"
        return "invalid"
    assert early is None or repeats_a_key(body), f"failed early on a valid document: {early}"
    assert not isinstance(result, StreamValidationError), f"rejected what pydantic accepts: {result}"
    assert state(result) == state(expected), (result, expected)
    assert state(p.partial) == state(expected)
    if reported:
        assert tuple(reported[-1].path) == () and state(reported[-1].value) == state(expected)
        for r in reported:
            part = part_at(expected, r.path)
            if part is not _UNREACHABLE:
                assert state(r.value) == state(part), (r.path, r.value, part)
    return "valid"
