"""ModelParser: each part validated as it closes; the result equals pydantic's on the whole text."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from typing_extensions import TypedDict

from midstream import (
    IncompleteJSONError,
    JSONLParser,
    ModelParser,
    ParseError,
    StreamValidationError,
    Validated,
)
from support.corpus import STREAMS, load_streams, stream_deltas, stream_payloads
from tests.models import STREAM_MODELS, Item, Order, Strict, Tag
from tests.strategies import splits

text_ = st.text(max_size=10)
floats = st.floats(allow_nan=False, allow_infinity=False)
tags = st.fixed_dictionaries({"label": st.text(min_size=1, max_size=12)}, optional={"weight": floats})
items = st.builds(
    lambda key, rest: {key: rest.pop("sku"), **rest},
    st.sampled_from(["SKU", "sku"]),
    st.fixed_dictionaries(
        {"sku": text_, "qty": st.integers(0, 1000)},
        optional={
            "price": st.none() | floats,
            "color": st.sampled_from(["red", "green"]),
            "tags": st.lists(tags, max_size=3),
        },
    ),
)
pets = st.fixed_dictionaries({"kind": st.just("cat"), "lives": st.integers(0, 9)}) | st.fixed_dictionaries(
    {"kind": st.just("dog"), "good": st.booleans()}
)
orders = st.fixed_dictionaries(
    {"id": st.integers(), "items": st.lists(items, max_size=4), "pet": pets},
    optional={
        "meta": st.dictionaries(st.text(max_size=4), tags, max_size=3),
        "note": st.none() | text_,
        "status": st.sampled_from(["new", "paid"]),
    },
)


def feed_all(p: ModelParser[Any], pieces: list[Any]) -> list[Validated]:
    events: list[Validated] = []
    for piece in pieces:
        events += p.feed(piece)
        p.partial  # noqa: B018 - building the partial result never fails
    return events


def error_keys(e: ValidationError | StreamValidationError) -> list[tuple[str, tuple[Any, ...]]]:
    return [(d["type"], tuple(d["loc"])) for d in e.errors()]


@settings(max_examples=200, deadline=None)
@given(st.data(), orders, st.booleans())
def test_valid_documents_equal_model_validate_json(data: st.DataObject, doc: dict[str, Any], ascii_: bool) -> None:
    text = json.dumps(doc, ensure_ascii=ascii_)
    expected = Order.model_validate_json(text)
    p = ModelParser(Order)
    events = feed_all(p, data.draw(splits(text)))
    assert p.close() == expected
    by_path = {e.path: e.value for e in events}
    assert len(by_path) == len(events)  # each part once
    for i, item in enumerate(expected.items):
        assert by_path[("items", i)] == item
    assert by_path[("pet",)] == expected.pet
    assert by_path[("id",)] == expected.id
    assert all(p.is_final(path) for path in by_path)
    # innermost first: a part is reported before the parts that contain it
    order = [e.path for e in events]
    for k, path in enumerate(order):
        assert all(later[: len(path)] != path or len(later) <= len(path) for later in order[k + 1 :])


BAD_VALUES = [  # (field to spoil, bad JSON, how it is spoiled)
    ("qty", "-1"),
    ("qty", '"many"'),
    ("lives", '"nine"'),
    ("label", '""'),
    ("zz", "1"),  # extra="forbid" on Order
]


@settings(max_examples=150, deadline=None)
@given(st.data(), orders, st.sampled_from(BAD_VALUES))
def test_invalid_value_fails_at_the_delta_where_it_closes(
    data: st.DataObject, doc: dict[str, Any], bad: tuple[str, str]
) -> None:
    field, bad_json = bad
    marker = "\u2603MARK\u2603"
    if field == "zz":
        doc = {**doc, "zz": marker}
    else:
        holders = [d for d in _dicts(doc) if field in d]
        if not holders:
            return
        data.draw(st.sampled_from(holders))[field] = marker
    marked = json.dumps(doc, ensure_ascii=False)
    mark = json.dumps(marker, ensure_ascii=False)
    at = marked.index(mark)
    text = marked[:at] + bad_json + marked[at + len(mark) :]
    closes_at = at + len(bad_json) - 1 if bad_json.endswith('"') else at + len(bad_json)
    if field == "zz":  # an unknown key under extra="forbid" fails as soon as the key is complete
        closes_at = text.index('"zz"') + 3
    if field == "lives":  # in a discriminated union: known once the discriminator has closed too
        pet = text.index('"pet": {')
        closes_at = max(closes_at, text.index('"cat"', text.index('"kind"', pet)) + 4)
    with pytest.raises(ValidationError) as pyd:
        Order.model_validate_json(text)

    p = ModelParser(Order)
    fed = 0
    first = None
    for piece in data.draw(splits(text)):
        try:
            p.feed(piece)
        except StreamValidationError as e:
            assert first is None, "feed raises once"
            first = e
            assert fed <= closes_at < fed + len(piece), (fed, len(piece), closes_at, text)
            assert e.consumed == fed + len(piece)
        fed += len(piece)
    assert first is not None
    assert set(error_keys(first)) <= set(error_keys(pyd.value)) or first.errors()[0]["type"] == "extra_forbidden"
    with pytest.raises(StreamValidationError) as full:
        p.close()
    assert error_keys(full.value) == error_keys(pyd.value)


def _dicts(v: Any) -> list[dict[str, Any]]:
    out = []
    todo = [v]
    while todo:
        x = todo.pop()
        if isinstance(x, dict):
            out.append(x)
            todo.extend(x.values())
        elif isinstance(x, list):
            todo.extend(x)
    return out


def test_events_partial_and_final() -> None:
    p = ModelParser(Order)
    assert p.feed('{"id": 7, "items": [{"SKU": "ab", "qty": 2, "tags": [{"label": "x"}]}, {"sku": "c') == [
        Validated(("id",), 7),
        Validated(("items", 0, "SKU"), "AB"),
        Validated(("items", 0, "qty"), 2),
        Validated(("items", 0, "tags", 0, "label"), "x"),
        Validated(("items", 0, "tags", 0), Tag(label="x")),
        Validated(("items", 0, "tags"), [Tag(label="x")]),
        Validated(("items", 0), Item(SKU="AB", qty=2, tags=[Tag(label="x")])),
    ]
    partial = p.partial
    assert isinstance(partial, Order)
    assert partial.id == 7 and partial.items[0] == Item(SKU="AB", qty=2, tags=[Tag(label="x")])
    assert partial.items[1].sku == "c"  # in progress: constructed, not validated
    assert p.is_final(("items", 0)) and not p.is_final(("items", 1))
    p.feed('", "qty": 1}], "pet": {"kind": "dog", "good": true}}')
    expected = Order.model_validate(
        {"id": 7, "items": [{"SKU": "AB", "qty": 2, "tags": [{"label": "x"}]}, {"SKU": "C", "qty": 1}], "pet": {"kind": "dog", "good": True}}
    )
    assert p.close() == expected


def test_missing_required_fails_at_object_close() -> None:
    p = ModelParser(Order)
    p.feed('{"id": 1, "items": [{"SKU": "a"')
    with pytest.raises(StreamValidationError) as e:
        p.feed("}")  # the item closes without qty
    assert error_keys(e.value) == [("missing", ("items", 0, "qty"))]
    assert e.value.path == ("items", 0)
    assert e.value.partial == {"id": 1, "items": [{"SKU": "a"}]}


def test_extra_forbidden_fails_at_once() -> None:
    p = ModelParser(Order)
    p.feed('{"id": 1, "surpris')
    with pytest.raises(StreamValidationError) as e:
        p.feed('e"')  # the key is complete: its value does not matter
    assert error_keys(e.value) == [("extra_forbidden", ("surprise",))]


class A(BaseModel):
    tag: Literal["a"]
    v: int


class AB(BaseModel):
    tag: Literal["ab"]
    v: str


class Holder(BaseModel):
    item: A | AB = Field(discriminator="tag")


def test_discriminator_is_read_only_once_complete() -> None:
    """A tag cut as "a" of "ab" must not pick variant "a" (which would reject v="s")."""
    text = '{"item": {"v": "s", "tag": "ab"}}'
    cut = text.index('"ab"') + 2  # the opening fragment ends after "a
    p = ModelParser(Holder)
    events = [*p.feed(text[:cut]), *p.feed(text[cut:])]
    assert p.close() == Holder.model_validate_json(text)
    assert ("item", "v") in {e.path for e in events}  # validated, as a str, once the tag closed


class Capped(BaseModel):
    tags: list[str] = Field(default=[], max_length=2)


def test_list_over_max_length_fails_before_it_closes() -> None:
    p = ModelParser(Capped)
    p.feed('{"tags": ["a", "b", "c')
    with pytest.raises(StreamValidationError) as e:
        p.feed('"')  # the third item is complete: the list can only get longer
    assert error_keys(e.value) == [("too_long", ("tags",))]
    with pytest.raises(ValidationError) as pyd:
        Capped.model_validate_json('{"tags": ["a", "b", "c"]}')
    assert error_keys(pyd.value) == error_keys(e.value)


class Short(BaseModel):
    name: str = Field(max_length=5)
    notes: list[Annotated[str, Field(max_length=3)]] = []


def test_string_over_max_length_fails_while_open() -> None:
    p = ModelParser(Short)
    p.feed('{"name": "abcde')
    with pytest.raises(StreamValidationError) as e:
        p.feed("f")  # six characters and still open: it can only get longer
    assert error_keys(e.value) == [("string_too_long", ("name",))]
    p = ModelParser(Short)
    with pytest.raises(StreamValidationError) as e:
        p.feed('{"name": "ok", "notes": ["abc", "abcd')
    assert error_keys(e.value) == [("string_too_long", ("notes", 1))]
    top = ModelParser(Annotated[str, Field(max_length=2)])  # a top-level string: at its close
    assert top.feed('"abc') == ()
    with pytest.raises(StreamValidationError) as e:
        top.feed('"')
    assert error_keys(e.value) == [("string_too_long", ())]
    plain = ModelParser(str)
    plain.feed('"abc')
    plain.feed('"')
    assert plain.close() == "abc"


class Part(BaseModel):
    n: int


class WithParts(BaseModel):
    id: int
    parts: list[Part]


def test_repeated_keys_are_followed_exactly() -> None:
    """A key given twice keeps its first position in the dict: the walk down the open members
    must follow the key being written, not the last key (found by the fuzzer: it looped)."""
    text = '{"id": 1, "parts": [{"n": 1}], "id": 2, "parts": [{"n": "x"}]}'
    p = ModelParser(WithParts)
    with pytest.raises(StreamValidationError) as e:
        for ch in text:
            p.feed(ch)
    with pytest.raises(ValidationError) as pyd:
        WithParts.model_validate_json(text)
    assert error_keys(e.value) == error_keys(pyd.value) == [("int_parsing", ("parts", 0, "n"))]
    ok = text.replace('"x"', "3")
    p = ModelParser(WithParts)
    for ch in ok:
        p.feed(ch)
    assert p.close() == WithParts.model_validate_json(ok)


def test_strict_mode() -> None:
    p = ModelParser(Strict)
    p.feed('{"n": 1, "flag": true, "xs": [1, ')
    with pytest.raises(StreamValidationError) as e:
        p.feed('"2"]')
    assert error_keys(e.value) == [("int_type", ("xs", 1))]


def test_parse_errors_and_incomplete() -> None:
    p = ModelParser(Order)
    with pytest.raises(ParseError):
        p.feed('{"id": 1,,')
    p = ModelParser(Order)
    p.feed('{"id": 1, "items": [')
    with pytest.raises(IncompleteJSONError) as e:
        p.close()
    assert isinstance(e.value.partial, Order)


class Fallbacks(BaseModel):
    """Parts that cannot be validated alone are validated with their enclosing value."""

    model_config = ConfigDict(populate_by_name=True)
    a: int
    b: int
    c: int = Field(validation_alias=AliasChoices("c", "cc"))

    @field_validator("b")
    @classmethod
    def b_after_a(cls, v: int, info: ValidationInfo) -> int:
        if v < info.data["a"]:
            raise ValueError("b < a")
        return v

    @model_validator(mode="before")
    @classmethod
    def default_a(cls, data: Any) -> Any:
        return {"a": 0, **data} if isinstance(data, dict) else data


class Outer(BaseModel):
    inner: Fallbacks
    xs: list[Fallbacks] = []


def test_fallbacks_validate_with_the_enclosing_value() -> None:
    text = '{"inner": {"b": 5, "cc": 1}, "xs": [{"a": 9, "b": 1, "c": 2}]}'
    p = ModelParser(Outer)
    events = []
    with pytest.raises(StreamValidationError) as e:
        for ch in text:
            events += p.feed(ch)
    paths = [ev.path for ev in events]
    assert paths == [("inner",)]  # no member of Fallbacks alone; the model at its close
    assert events[0].value == Fallbacks(a=0, b=5, c=1)
    assert error_keys(e.value) == [("value_error", ("xs", 0, "b"))]


class TD(TypedDict):
    name: str
    n: int


@dataclass
class DC:
    name: str
    n: int


class Tree(BaseModel):
    value: int
    children: list[Tree] = []


@pytest.mark.parametrize(
    ("tp", "text", "paths"),
    [
        # ("sku", the field's name besides its alias "SKU", is validated with its object)
        (list[Item], '[{"SKU": "a", "qty": 1}, {"sku": "b", "qty": 2}]', [(0, "SKU"), (0, "qty"), (0,), (1, "qty"), (1,), ()]),
        (dict[str, Item], '{"x": {"SKU": "a", "qty": 1}}', [("x", "SKU"), ("x", "qty"), ("x",), ()]),
        (TD, '{"name": "a", "n": 1}', [("name",), ("n",), ()]),
        (DC, '{"name": "a", "n": 1}', [("name",), ("n",), ()]),
        (Tree, '{"value": 1, "children": [{"value": 2}]}', [("value",), ("children", 0, "value"), ("children", 0), ("children",), ()]),
        (RootModel[list[int]], "[1, 2]", [(0,), (1,), ()]),
        (int | list[int], "[1, 2]", [()]),  # a union: validated whole, when it closes
    ],
)
def test_root_types(tp: Any, text: str, paths: list[tuple[Any, ...]]) -> None:
    p = ModelParser(tp)
    events = []
    for ch in text:
        events += p.feed(ch)
    assert [e.path for e in events] == paths
    assert p.close() == TypeAdapter(tp).validate_json(text)


LLM_CHANNELS = [
    pytest.param(s["name"], ch, id=f"{s['name']}:{ch['channel']}")
    for s in load_streams()
    for ch in s["json_channels"]
    if ch["valid_json"]
]


@pytest.mark.parametrize(("name", "channel"), LLM_CHANNELS)
def test_recorded_streams_validate(name: str, channel: dict[str, Any]) -> None:
    assembled = (STREAMS / channel["file"]).read_text("utf-8")
    value = json.loads(assembled)
    model = list[int] if isinstance(value, list) else STREAM_MODELS[frozenset(value)]
    deltas = next(
        d for d in stream_deltas(stream_payloads(name)).values() if "".join(d) == assembled and len(d) == channel["deltas"]
    )
    p = ModelParser(model)
    for d in deltas:
        p.feed(d)
    assert p.close() == TypeAdapter(model).validate_json(assembled)


def test_jsonl_with_model() -> None:
    lines = ['{"SKU": "a", "qty": 1}', '{"sku": "b", "qty": -5}', "{oops}", '{"sku": "c", "qty": 3}']
    text = "\n".join(lines) + "\n"
    for chunks in ([text], list(text)):
        j = JSONLParser(on_error="skip", model=Item)
        got = []
        for c in chunks:
            got += j.feed(c)
        got += j.close()
        assert got == [Item(SKU="A", qty=1), Item(SKU="C", qty=3)]
        assert [(type(e).__name__, e.line) for e in j.errors] == [("StreamValidationError", 2), ("ParseError", 3)]
        assert error_keys(j.errors[0]) == [("greater_than_equal", ("qty",))]  # type: ignore[arg-type]
    with pytest.raises(StreamValidationError) as e:
        JSONLParser(model=Item).feed(text)
    assert e.value.line == 2 and e.value.partial == [Item(SKU="A", qty=1)]


def _shaped(
    keys: dict[str, st.SearchStrategy[Any]], required: tuple[str, ...] = (), clean: bool = False
) -> st.SearchStrategy[dict[str, Any]]:
    """Dicts with some of ``keys`` and stray keys; each value mostly right, sometimes a random
    JSON value (``clean``: always right), so documents fail in varied places or pass."""
    junk = st.none() | st.booleans() | st.integers(-3, 3) | st.floats(-2, 2) | st.text(max_size=3) | st.just([1, "a"])
    value = {k: v if clean else st.one_of(v, v, v, junk) for k, v in keys.items()}
    return st.builds(
        lambda chosen, extra: {**chosen, **extra},
        st.fixed_dictionaries(
            {k: value[k] for k in required}, optional={k: v for k, v in value.items() if k not in required}
        ),
        st.dictionaries(st.sampled_from(["zz", "extra", "a1"]), junk, max_size=1),
    )


def _family(clean: bool) -> tuple[st.SearchStrategy[Any], st.SearchStrategy[Any]]:
    leaf = _shaped({"a": st.text(max_size=4), "b": st.lists(st.integers(-5, 5), max_size=3)}, clean=clean)
    mid = _shaped(
        {
            "L": leaf,
            "leaf": leaf,
            "leaves": st.dictionaries(st.text(max_size=2), leaf, max_size=2),
            "n": st.integers(1 if clean else -1, 3),
            "names": st.lists(st.text(max_size=3), max_size=3),
        },
        clean=clean,
    )
    top = _shaped(
        {
            "k": st.integers(0 if clean else -2, 5),
            "mids": st.lists(mid, max_size=3),
            "tag": st.sampled_from(["x", "y"] if clean else ["x", "y", "z"]),
            "score": st.integers(0, 3) | st.floats(allow_nan=False, allow_infinity=False),
        },
        required=("k",),
        clean=clean,
    )
    strict = _shaped(
        {
            "k": st.integers() if clean else st.integers() | st.just("5"),
            "xs": st.lists(st.floats(-1, 1) if clean else st.integers(-2, 2) | st.floats(-1, 1), max_size=3),
            "mid": mid,
        },
        required=("k",),
        clean=clean,
    )
    return top, strict


FAMILIES = {clean: _family(clean) for clean in (False, True)}
CASES = {
    clean: st.sampled_from([0, 1]).flatmap(
        lambda k, clean=clean: st.tuples(st.just("top" if k == 0 else "strict"), FAMILIES[clean][k])
    )
    for clean in (False, True)
}


@settings(max_examples=400, deadline=None)
@given(st.sampled_from([False, True]).flatmap(lambda clean: CASES[clean]), st.integers(0, 2**32))
def test_composed_validation_equals_pydantic(case: tuple[str, dict[str, Any]], seed: int) -> None:
    """Valid or not: the value (fields set, extras, private attributes included) or the errors
    of pydantic on the whole text; an early failure only where pydantic fails too."""
    from support.oracle import check_model
    from tests.models import StrictTop, Top

    name, doc = case
    check_model(json.dumps(doc).encode(), Top if name == "top" else StrictTop, seed)


@pytest.mark.parametrize(
    "text",
    [
        '{"n": " bolt ", "name": "far too long for eight"}',
        '{"name": "far too long for eight", "n": " bolt "}',
        '{"name": "nut"}',
        '{"name": "far too long for eight"}',
    ],
)
def test_field_given_by_alias_and_by_name(text: str) -> None:
    """Given both, pydantic takes the alias's value wherever it stands (populate_by_name), so the
    value under the name must not fail early; alone, the name's value is validated at close."""
    from pydantic import ConfigDict, Field

    class Part(BaseModel):
        model_config = ConfigDict(populate_by_name=True)
        name: str = Field(alias="n", max_length=8)

    expected: Any
    try:
        expected = Part.model_validate_json(text)
    except ValidationError as e:
        expected = [(d["type"], d["loc"]) for d in e.errors()]
    p = ModelParser(Part)
    pieces = [text[k : k + 3] for k in range(0, len(text), 3)]
    for piece in pieces[:-1]:
        p.feed(piece)  # never raises: nothing can be judged before the object closes
    if isinstance(expected, list):
        with pytest.raises(StreamValidationError) as err:
            p.feed(pieces[-1])  # the object closes: judged now
        assert [(d["type"], d["loc"]) for d in err.value.errors()] == expected
    else:
        p.feed(pieces[-1])
        assert p.close() == expected
