"""ModelParser: pydantic's answer by construction, early failures that are never false, a live
typed partial value. (The model zoo against validate_json: tests/test_model_zoo.py.)"""

from __future__ import annotations

import contextlib
import itertools
import json
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Json,
    RootModel,
    StringConstraints,
    Tag,
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
    Parser,
    StreamValidationError,
    Validated,
)
from midstream.validation import model as model_module
from support.corpus import STREAMS, load_streams, stream_deltas, stream_payloads
from tests.model_oracle import check_document, state
from tests.models import STREAM_MODELS, Item, Order, Strict
from tests.models import Tag as TagModel
from tests.strategies import splits


def error_keys(e: ValidationError | StreamValidationError) -> list[tuple[str, tuple[Any, ...]]]:
    return [(d["type"], tuple(d["loc"])) for d in e.errors()]


def pydantic_errors(tp: Any, text: str) -> list[tuple[str, tuple[Any, ...]]]:
    with pytest.raises(ValidationError) as e:
        TypeAdapter(tp).validate_json(text)
    return error_keys(e.value)


def fails_at(tp: Any, text: str, at: int) -> StreamValidationError:
    """Feed ``text`` one character at a time: the feed of ``text[at]`` raises (and none
    before); close() then raises pydantic's full list. Returns the early error."""
    p = ModelParser(tp)
    for k, ch in enumerate(text):
        if k < at:
            p.feed(ch)
            continue
        with pytest.raises(StreamValidationError) as e:
            p.feed(ch)
        break
    else:
        pytest.fail("no feed raised")
    early = e.value
    assert set(error_keys(early)) <= set(pydantic_errors(tp, text))
    for ch in text[at + 1 :]:
        p.feed(ch)  # feeding may go on (parsed, not checked)
    with pytest.raises(StreamValidationError) as full:
        p.close()
    assert error_keys(full.value) == pydantic_errors(tp, text)
    assert p.failed is early and not p.closed
    return early


def close_of(text: str, part: str, occurrence: int = 0) -> int:
    """The index of the last character of ``part`` (its ``occurrence``-th appearance)."""
    k = -1
    for _ in range(occurrence + 1):
        k = text.index(part, k + 1)
    return k + len(part) - 1


# ---- 1. validators run once, as pydantic runs them -------------------------------------------


class Doubled(BaseModel):
    a: int

    @field_validator("a")
    @classmethod
    def dbl(cls, v: int) -> int:
        return v * 2


class PlusOne(BaseModel):
    a: Annotated[int, AfterValidator(lambda v: v + 1)]


class Split(BaseModel):
    xs: list[str]

    @field_validator("xs", mode="before")
    @classmethod
    def split(cls, v: Any) -> Any:
        return v.split(",")  # (an AttributeError on anything but a str)


class WithJson(BaseModel):
    j: Json[list[int]]
    k: Json[dict[str, int]] | None = None


class Retyped(BaseModel):
    a: Annotated[int, AfterValidator(lambda v: f"#{v}")]


class Cat(BaseModel):
    kind: Literal["cat"]
    lives: int


class Dog(BaseModel):
    kind: Literal["dog"]
    good: bool


def kind_of(v: Any) -> Any:
    return v["kind"]  # (a TypeError on anything but a dict)


class Called(BaseModel):
    pet: Annotated[Annotated[Cat, Tag("cat")] | Annotated[Dog, Tag("dog")], Discriminator(kind_of)]


class Passwords(BaseModel):
    password: str
    confirm: str = ""

    @field_validator("confirm")
    @classmethod
    def same(cls, v: str, info: ValidationInfo) -> str:
        if v != info.data["password"]:
            raise ValueError("passwords differ")
        return v


class MaybeFloat(BaseModel):
    x: float | None = None
    y: float = 0.0


class Stripped(BaseModel):
    s: Annotated[str, StringConstraints(strip_whitespace=True, max_length=3)]


ANSWERS = [
    (Doubled, '{"a": 3}'),
    (PlusOne, '{"a": 3}'),
    (Split, '{"xs": "a,b"}'),
    (WithJson, '{"j": "[1, 2]", "k": "{\\"a\\": 1}"}'),
    (Retyped, '{"a": 3}'),
    (Called, '{"pet": {"kind": "dog", "good": true}}'),
    (Passwords, '{"password": "x", "confirm": "x"}'),
    (Passwords, '{"password": "x"}'),
    (MaybeFloat, '{"x": 1e400, "y": -1e400}'),
    (Stripped, '{"s": "abc      "}'),
    (list[Passwords], '[{"password": "a", "confirm": "a"}, {"password": "b"}]'),
]


@pytest.mark.parametrize(("tp", "text"), ANSWERS)
def test_the_answer_is_validate_json(tp: Any, text: str) -> None:
    """Issues 1-4: validators run once, as pydantic runs them; info.data is there; 1e400 is inf;
    a transformed string is judged after the transform. Fed whole and one character at a time,
    the partial value read after every feed: no early failure, pydantic's result."""
    expected = TypeAdapter(tp).validate_json(text)
    for pieces in ([text], list(text)):
        check_document(tp, pieces)
        p = ModelParser(tp)
        for piece in pieces:
            p.feed(piece)
            p.partial  # noqa: B018
        assert state(p.close()) == state(expected)
    assert state(ModelParser(Doubled).feed('{"a": 3}')[-1].value) == state(Doubled(a=3))
    assert Doubled.model_validate_json('{"a": 3}').a == 6


def test_list_over_max_length_fails_as_the_item_begins() -> None:
    class Capped(BaseModel):
        tags: Annotated[list[str], Field(max_length=2)] = []

    text = '{"tags": ["a", "b", "c"]}'
    e = fails_at(Capped, text, close_of(text, '"b", "'))
    assert error_keys(e) == [("too_long", ("tags",))]


def test_inf_and_nan_settings() -> None:
    """Issue 3: 1e400 is parsed as inf and judged as pydantic judges inf."""

    class NoInf(BaseModel):
        model_config = ConfigDict(allow_inf_nan=False)
        x: float | None = None

    class Dates(BaseModel):
        d: date | None = None
        t: timedelta | None = None

    text = '{"x": 1e400}'
    assert fails_at(NoInf, text, text.index("}")).errors()[0]["type"] == "finite_number"
    for doc in ('{"d": 1e400}', '{"t": 1e400}'):
        fails_at(Dates, doc, doc.index("}"))
    assert ModelParser(MaybeFloat).feed('{"x": 1e400}')[-1].value.x == float("inf")


# ---- early failures: never false, in the feed whose delta closes the bad part ----------------


class Line(BaseModel):
    sku: str
    qty: Annotated[int, Field(ge=0)]
    tags: Annotated[list[str], Field(max_length=2)] = []
    note: Annotated[str, Field(max_length=5)] = ""


class Basket(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: int
    lines: list[Line] = []
    pet: Cat | Dog | None = Field(None, discriminator="kind")
    any_pet: Cat | Dog | None = None
    stripped: Annotated[str, StringConstraints(strip_whitespace=True, max_length=3)] = ""
    blob: Json[list[int]] | None = None
    split: Annotated[list[int], Field(max_length=3)] = []

    @field_validator("split", mode="before")
    @classmethod
    def split_str(cls, v: Any) -> Any:
        return v.split(",") if isinstance(v, str) else v

    @model_validator(mode="after")
    def lines_sum(self) -> Basket:
        if sum(line.qty for line in self.lines) > 100:
            raise ValueError("too many")
        return self


def _line(body: str) -> str:
    return '{"id": 1, "lines": [' + body + "]}"


EARLY = [  # (what, text, the part whose last character must raise)
    ("a leaf of the wrong type, as its string closes", _line('{"sku": "a", "qty": "x"}'), '"x"'),
    ("a number, at the character after it", '{"id": 1.5, "lines": []}', "1.5,"),
    ("a constraint", _line('{"sku": "a", "qty": -1}'), "-1}"),
    ("a missing field, as its object closes", _line('{"sku": "a"}'), '"a"}'),
    ("an unknown key under forbid, as its value closes", '{"id": 1, "zz": [1, 2], "lines": []}', "[1, 2]"),
    ("a string over max_length, while it is open", _line('{"sku": "a", "qty": 1, "note": "abcdef"}'), '"abcdef'),
    ("a list over max_length, as the item too many begins", _line('{"sku": "a", "qty": 1, "tags": ["a", "b", "c"]}'), '"b", "'),
    ("a discriminated union's member, once the tag is known", '{"id": 1, "pet": {"kind": "cat", "lives": "x"}}', '"x"'),
    ("a member that came before the tag, as the object closes", '{"id": 1, "pet": {"lives": "x", "kind": "cat"}}', '"cat"}'),
    ("an unknown tag, as the object closes", '{"id": 1, "pet": {"kind": "cow", "lives": 1}}', "1}"),
    ("a union without a discriminator, as it closes", '{"id": 1, "any_pet": {"kind": "cat", "good": true}}', "true}"),
    ("a stripped string: at its close, not while open", '{"id": 1, "stripped": "abcd   "}', '"abcd   "'),
    ("Json[...]: as its string closes", '{"id": 1, "blob": "[1, \\"x\\"]"}', '"[1, \\"x\\"]"'),
    ("a before validator: as its value closes", '{"id": 1, "split": "1,2,x"}', '"1,2,x"'),
    ("a before validator's list: not at its items", '{"id": 1, "split": [1, 2, 3, 4]}', "4]"),
    ("a model after validator, as the model closes", _line('{"sku": "a", "qty": 101}') + "  ", "]}"),
    ("an item error in a list with max_length: as the list closes", _line('{"sku": "a", "qty": 1, "tags": [1, "b"]}'), '"b"]'),
    ("... or as it gets too long", _line('{"sku": "a", "qty": 1, "tags": [1, "b", "c"]}'), '"b", "'),
]


@pytest.mark.parametrize(("what", "text", "part"), EARLY, ids=[e[0] for e in EARLY])
def test_fails_in_the_feed_that_decides(what: str, text: str, part: str) -> None:
    fails_at(Basket, text, close_of(text, part))


class Account(BaseModel):
    password: str
    confirm: str = ""
    email: str = ""

    @field_validator("confirm")
    @classmethod
    def same(cls, v: str, info: ValidationInfo) -> str:
        if v != info.data.get("password"):
            raise ValueError("passwords differ")
        return v


def test_a_validator_reading_info_data_waits_for_its_object() -> None:
    """Issue 2: the field is judged with its object, when the object closes."""
    text = '{"accounts": [{"password": "x", "confirm": "y", "email": "e"}, {"password": "z"}]}'
    e = fails_at(dict[str, list[Account]], text, close_of(text, '"e"}'))
    assert error_keys(e) == [("value_error", ("accounts", 0, "confirm"))]


def test_error_is_pydantics() -> None:
    """Issue 7: a list field given an object: list_type at the list, from pydantic."""

    class Holder(BaseModel):
        items: list[Line]

    text = '{"items": {"a": {"sku": 1}}}'
    e = fails_at(Holder, text, close_of(text, "}}"))
    assert error_keys(e) == [("list_type", ("items",))]
    assert e.errors()[0]["msg"] == "Input should be a valid array"


def test_depth_beyond_pydantics_json_limit() -> None:
    """Issue 6: pydantic's JSON parser reads a value inside at most 200 open containers
    (found at run time): the value that begins deeper fails as it begins, with its error."""
    limit = model_module.json_depth_limit()
    for ok in ("[" * limit + '"x"' + "]" * limit, "[" * (limit + 1) + "]" * (limit + 1)):
        assert ModelParser(Any).feed(ok)[-1].value == TypeAdapter(Any).validate_json(ok)
    text = "[" * (limit + 1) + '"x"' + "]" * (limit + 1)
    e = fails_at(Any, text, limit + 1)  # (as the string begins)
    assert e.errors()[0]["type"] == "json_invalid" and "recursion limit" in e.errors()[0]["msg"]

    class Tree(BaseModel):
        c: list[Tree] = []

    deep = '{"c": [' * 300 + "{}" + "]}" * 300
    p = ModelParser(Tree)
    raised = 0
    for k in range(0, len(deep), 7):
        try:
            p.feed(deep[k : k + 7])
        except StreamValidationError:
            raised = k
    assert 0 < raised < len(deep) // 2
    with pytest.raises(StreamValidationError) as e2:
        p.close()
    assert error_keys(e2.value) == pydantic_errors(Tree, deep) == [("json_invalid", ())]


def test_repeated_key_is_the_one_exception() -> None:
    """An object with a repeated key: the first value is judged as it closes (pydantic keeps
    the last one), so feed may fail on a document pydantic accepts; close() is pydantic's."""

    class N(BaseModel):
        n: int

    text = '{"n": "x", "n": 1}'
    p = ModelParser(N)
    with pytest.raises(StreamValidationError):
        p.feed(text)
    assert p.close() == N(n=1) == N.model_validate_json(text)


# ---- validated parts --------------------------------------------------------------------------


def test_validated_parts_innermost_first() -> None:
    p = ModelParser(Order)
    got = p.feed('{"id": 7, "items": [{"SKU": "ab", "qty": 2, "tags": [{"label": "x"}]}, {"sku": "c')
    assert [tuple(v.path) for v in got] == [("items", 0, "tags", 0), ("items", 0, "tags"), ("items", 0)]
    assert got == [
        Validated(("items", 0, "tags", 0), TagModel(label="x")),
        Validated(("items", 0, "tags"), [TagModel(label="x")]),
        Validated(("items", 0), Item(SKU="AB", qty=2, tags=[TagModel(label="x")])),
    ]
    assert got[2].value.sku == "AB"  # the field validator ran, once
    path, value = got[0]
    assert path == ("items", 0, "tags", 0) and value == TagModel(label="x")
    rest = p.feed('", "qty": 1}], "pet": {"kind": "dog", "good": true}}')
    assert [tuple(v.path) for v in rest] == [("items", 1), ("items",), ("pet",), ()]
    assert rest[-1].value is p.close()


def test_readme_example() -> None:
    text = (
        '{"id": 7, "items": [{"name": "bolt", "qty": 3}, {"name": "nut", "qty": 5}]}'
    )

    class Part(BaseModel):
        name: str
        qty: int

    class PartOrder(BaseModel):
        id: int
        items: list[Part]

    p = ModelParser(PartOrder)
    shown = []
    for k in range(0, len(text), 5):
        for event in p.feed(text[k : k + 5]):
            if len(event.path) == 2 and event.path[0] == "items":
                shown.append(event.value)
    assert shown == [Part(name="bolt", qty=3), Part(name="nut", qty=5)]
    assert p.close() == PartOrder.model_validate_json(text)


# ---- the typed partial value ------------------------------------------------------------------


class Weather(BaseModel):
    city: str
    units: Literal["c", "f"] = "c"
    days: list[int] = []
    extra: dict[str, Any] = {}


def test_partial_tells_received_from_defaults() -> None:
    """Issue 9: fields not received are absent from model_fields_set and read None; a default
    is never shown (it would flip when the value arrives); a missing field never raises."""
    text = '{"city": "Oslo", "units": "f", "days": [1, 2], "extra": {"a": [1]}}'
    p = ModelParser(Weather)
    first = p.partial
    assert isinstance(first, Weather) and first.model_fields_set == set() and first.units is None
    seen_units = []
    sets = []
    for ch in text[:-1]:
        p.feed(ch)
        part = p.partial
        assert part is first  # live: the same object, grown in place
        seen_units.append(part.units)
        sets.append(set(part.model_fields_set))
        part.city, part.days, part.extra  # noqa: B018 - never raises
    assert seen_units[: text.index('"units"') + 9] == [None] * (text.index('"units"') + 9)
    assert "c" not in seen_units
    assert seen_units[-1] == "f" and "" in seen_units
    assert all(a <= b for a, b in itertools.pairwise(sets))
    p.feed(text[-1])
    assert p.value == json.loads(text)  # the raw partial value is public
    assert p.close() == Weather.model_validate_json(text)
    assert p.partial == p.close()


def test_partial_typed_parts_and_open_strings() -> None:
    p = ModelParser(Order)
    p.feed('{"id": 7, "items": [{"SKU": "ab", "qty": 2}, {"sku": "c')
    part = p.partial
    assert isinstance(part, Order) and part.id == 7
    assert isinstance(part.items[0], Item) and part.items[0].sku == "AB"  # validated at its close
    assert isinstance(part.items[1], Item) and part.items[1].sku == "c"  # as received so far
    assert part.items[1].qty is None and part.items[1].model_fields_set == {"sku"}
    assert part.pet is None and "pet" not in part.model_fields_set
    p.feed("de")
    assert p.partial.items[1].sku == "cde"
    p.feed('", "qty": 1}], "pet": {"kind": "dog", "good": true}')
    assert p.partial.items[1].sku == "CDE"
    p.feed("}")  # complete: the partial value is the result
    assert p.partial == Order.model_validate_json(
        '{"id": 7, "items": [{"SKU": "ab", "qty": 2}, {"sku": "cde", "qty": 1}], "pet": {"kind": "dog", "good": true}}'
    )


def test_partial_costs_what_changed() -> None:
    """Each object of the partial value is made once, however often it is read."""
    made = []
    original = ModelParser._new_object

    def counting(self: Any, n: Any) -> Any:
        made.append(n.cls)
        return original(self, n)

    text = json.dumps({"id": 1, "items": [{"SKU": f"s{k}", "qty": k, "tags": [{"label": "t"}]} for k in range(40)], "pet": {"kind": "cat", "lives": 1}})
    ModelParser._new_object = counting  # type: ignore[method-assign]
    try:
        p = ModelParser(Order)
        for k in range(0, len(text), 3):
            p.feed(text[k : k + 3])
            p.partial  # noqa: B018
    finally:
        ModelParser._new_object = original  # type: ignore[method-assign]
    assert len(made) == 1 + 40 + 40 + 1  # the order, each item, each tag, the pet


def test_partial_reading_a_long_string_stays_linear() -> None:
    """The engine extends an open string in place only while nothing else holds it: the
    partial value lets go of it during each feed."""

    class Doc(BaseModel):
        text: str

    def run(n: int, read: bool) -> float:
        body = '{"text": "' + "abcd" * n + '"}'
        p = ModelParser(Doc)
        t = time.perf_counter()
        for k in range(0, len(body), 4):
            p.feed(body[k : k + 4])
            if read:
                p.partial.text  # noqa: B018
        return time.perf_counter() - t

    run(1000, True)
    small = min(run(20_000, True) for _ in range(3))
    big = min(run(160_000, True) for _ in range(3))
    assert big / small < 8 * 3, (small, big)  # 8x the text: linear (quadratic would be 64x)


def test_partial_of_other_types() -> None:
    class TD(TypedDict):
        name: str
        n: int

    @dataclass
    class DC:
        name: str
        n: int = 0

    p = ModelParser(list[TD])
    p.feed('[{"name": "a", "n": 1}, {"name": "b')
    assert p.partial == [{"name": "a", "n": 1}, {"name": "b"}]
    q = ModelParser(DC)
    q.feed('{"name": "a"')
    assert isinstance(q.partial, DC) and q.partial.name == "a" and q.partial.n is None
    r = ModelParser(RootModel[list[Weather]])
    r.feed('[{"city": "x"')
    assert r.partial.root[0].city == "x" and r.partial.root[0].units is None
    s = ModelParser(int)
    assert s.partial is None
    s.feed("12")
    assert s.close() == 12 and s.partial == 12


# ---- cost stays linear at any depth (issue 5) -------------------------------------------------


class Nest(BaseModel):
    v: int = 0
    s: str = ""
    c: Nest | None = None


class CheckedNest(BaseModel):
    v: int = 0
    c: list[CheckedNest] = []

    @model_validator(mode="after")
    def small(self) -> CheckedNest:
        if self.v > 5:
            raise ValueError("v > 5")
        return self


def _nested(depth: int, pad: int) -> str:
    return ('{"v": 1, "s": "' + "x" * pad + '", "c": ') * depth + "{}" + "}" * depth


def test_validated_text_stays_linear_at_any_depth() -> None:
    """However deep the document, pydantic is given O(its size) text while it streams: whole
    validations nest at most MAX_WHOLE_NESTING deep over any character."""
    sent = []
    real = model_module._dumps

    def counting(v: Any) -> Any:
        out = real(v)
        sent.append(len(out))
        return out

    model_module._dumps = counting  # type: ignore[assignment]
    try:
        for tp, text in (
            (Nest, _nested(190, 50)),
            (CheckedNest, '{"v": 1, "c": [' * 95 + "{}" + "]}" * 95),
        ):
            sent.clear()
            p = ModelParser(tp)
            for k in range(0, len(text), 5):
                p.feed(text[k : k + 5])
            assert state(p.close()) == state(TypeAdapter(tp).validate_json(text))
            assert sum(sent) <= 3 * len(text), (tp, sum(sent), len(text))
    finally:
        model_module._dumps = real  # type: ignore[assignment]


def test_time_at_depth_is_within_10x_of_parser() -> None:
    """A document nested 1,000 deep (pydantic refuses it past 200: reported as it gets there,
    the rest parsed) costs within 10x of Parser on the same text, as does one 190 deep."""
    for text in (_nested(1000, 60), _nested(190, 400)):
        pieces = [text[k : k + 4] for k in range(0, len(text), 4)]

        def parse(pieces: list[str] = pieces) -> None:
            p = Parser()
            for piece in pieces:
                p.feed(piece)

        def validate(pieces: list[str] = pieces) -> None:
            p = ModelParser(Nest)
            for piece in pieces:
                with contextlib.suppress(StreamValidationError):
                    p.feed(piece)

        base = min(_timed(parse) for _ in range(5))
        ours = min(_timed(validate) for _ in range(5))
        assert ours < 10 * base, (ours, base)


def _timed(f: Any) -> float:
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


# ---- the parser's states (issue 8) -------------------------------------------------------------


def test_feed_after_the_end() -> None:
    p = ModelParser(Order)
    with pytest.raises(ParseError):
        p.feed('{"id": 1,,')
    with pytest.raises(ParseError, match="after a parse error"):
        p.feed("1")
    assert isinstance(p.failed, ParseError) and not p.closed

    p = ModelParser(Weather)
    p.feed('{"city": "x"}')
    assert p.close() == Weather(city="x") and p.closed
    with pytest.raises(ParseError, match="after close"):
        p.feed(" ")
    assert p.close() == Weather(city="x")

    p = ModelParser(Weather)
    p.feed('{"city": ')
    with pytest.raises(IncompleteJSONError) as inc:
        p.close()
    assert isinstance(inc.value.partial, Weather)
    with pytest.raises(ParseError, match="after close"):
        p.feed("1")

    p = ModelParser(Weather)
    with pytest.raises(StreamValidationError):
        p.feed('{"city": 1}')
    with pytest.raises(StreamValidationError):
        p.close()
    with pytest.raises(ParseError, match="after close"):
        p.feed(" ")
    assert isinstance(p.failed, StreamValidationError)


def test_error_carries_where_and_what() -> None:
    p = ModelParser(Order)
    p.feed('{"id": 1, "items": [{"SKU": "a"')
    with pytest.raises(StreamValidationError) as e:
        p.feed("}")
    assert error_keys(e.value) == [("missing", ("items", 0, "qty"))]
    assert e.value.path == ("items", 0)
    assert e.value.partial == {"id": 1, "items": [{"SKU": "a"}]}
    assert e.value.consumed == e.value.offset == len('{"id": 1, "items": [{"SKU": "a"}')


def test_the_text_is_kept_in_blocks() -> None:
    """The text kept for the final validation is joined in blocks as the stream goes: one
    object per block, not one per delta."""
    text = json.dumps([{"SKU": f"s{k}", "qty": k} for k in range(400)])
    p = ModelParser(list[Item])
    for k in range(0, len(text), 2):
        p.feed(text[k : k + 2])
    assert len(p._pieces) <= 2 * model_module._BLOCK and len(p._blocks) < len(text) // 2 // model_module._BLOCK + 2
    assert p.close() == TypeAdapter(list[Item]).validate_json(text)


def test_bytes_and_str_pieces() -> None:
    text = '{"city": "Zürich", "days": [1]}'
    raw = b"\xef\xbb\xbf" + text.encode()
    p = ModelParser(Weather)
    for k in range(len(raw)):
        p.feed(raw[k : k + 1])
    assert p.close() == Weather.model_validate_json(text)
    p = ModelParser(Weather)
    p.feed(text[:5])
    p.feed(text[5:].encode())
    assert p.close() == Weather.model_validate_json(text)


def test_a_reused_buffer_is_kept_as_it_was() -> None:
    """One bytearray the caller fills again for each delta (fed as is, or through a memoryview):
    the text kept for the final validation is what each delta held when it was fed."""
    text = '{"city": "Zürich", "days": [1, 2]}'.encode()
    for view in (False, True):
        p = ModelParser(Weather)
        buf = bytearray(3)
        for k in range(0, len(text), 3):
            piece = text[k : k + 3]
            buf[:] = piece  # the same buffer, refilled
            p.feed(memoryview(buf) if view else buf)
        assert p.close() == Weather.model_validate_json(text)


def test_a_string_at_the_top_level_reads_as_it_grows() -> None:
    p = ModelParser(str)
    seen = [p.partial]  # (read before the string opens)
    for d in ['"ab', "cd", 'ef"']:
        p.feed(d)
        seen.append(p.partial)
    assert seen == [None, "ab", "abcd", "abcdef"]
    assert p.close() == "abcdef"


def test_an_unknown_key_of_a_typeddict_is_not_shown() -> None:
    p = ModelParser(TD)
    p.partial  # noqa: B018
    p.feed('{"zz": "x')
    p.feed('y", "name": "a')
    assert p.partial == {"name": "a"}
    p.feed('b", "n": 1}')
    assert p.partial == {"name": "ab", "n": 1}


def test_feed_after_a_parse_error_names_it() -> None:
    """After a validation failure, feeding goes on; a parse error then stops it, and a feed
    after that names the parse error (not the validation failure that came first)."""
    p = ModelParser(Order)
    with pytest.raises(StreamValidationError):
        p.feed('{"id": "x", ')
    with pytest.raises(ParseError):
        p.feed("]")
    with pytest.raises(ParseError, match=r"after a parse error \(expected"):
        p.feed("1")
    assert isinstance(p.failed, StreamValidationError)


def test_feed_is_the_engines_send() -> None:
    """No Python call of the model layer per delta: feed is the engine's own send (its hooks
    keep the text and wake the model layer only when a part closed)."""
    p = ModelParser(Order)
    assert p.feed is p._parser.feed
    p.partial  # noqa: B018
    assert p.feed is p._parser.feed  # (reading the typed partial value changes nothing)


def test_partial_open_string_after_a_parse_error() -> None:
    """The open string the typed partial value shows is let go while a delta is read and shown
    again afterwards: after an error in that delta too."""
    p = ModelParser(Order)
    p.feed('{"id": 7, "items": [{"sku": "ab')
    assert p.partial.items[0].sku == "ab"
    with pytest.raises(ParseError):
        p.feed("cd\\x")
    assert p.partial.items[0].sku == "abcd"
    assert p.value == {"id": 7, "items": [{"sku": "abcd"}]}


# ---- kept from before: shapes, strict mode, streams, JSONL ---------------------------------------


class Tree(BaseModel):
    value: int
    children: list[Tree] = []


class TD(TypedDict):
    name: str
    n: int


@dataclass
class DC:
    name: str
    n: int


@pytest.mark.parametrize(
    ("tp", "text", "paths"),
    [
        (list[Item], '[{"SKU": "a", "qty": 1}, {"sku": "b", "qty": 2}]', [(0,), (1,), ()]),
        (dict[str, Item], '{"x": {"SKU": "a", "qty": 1}}', [("x",), ()]),
        (TD, '{"name": "a", "n": 1}', [()]),
        (DC, '{"name": "a", "n": 1}', [()]),
        (Tree, '{"value": 1, "children": [{"value": 2}]}', [("children", 0), ("children",), ()]),
        (RootModel[list[int]], "[1, 2]", [()]),
        (int | list[int], "[1, 2]", [()]),
    ],
)
def test_root_types(tp: Any, text: str, paths: list[tuple[Any, ...]]) -> None:
    p = ModelParser(tp)
    events = []
    for ch in text:
        events += p.feed(ch)
    assert [tuple(e.path) for e in events] == paths
    assert p.close() == TypeAdapter(tp).validate_json(text)
    assert events[-1].value == p.close()


def test_strict_mode() -> None:
    text = '{"n": 1, "flag": true, "xs": [1, "2"]}'
    e = fails_at(Strict, text, close_of(text, '"2"'))
    assert error_keys(e) == [("int_type", ("xs", 1))]


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
    text = '{"item": {"tag": "ab", "v": "s"}}'
    cut = text.index('"ab"') + 2
    p = ModelParser(Holder)
    events = [*p.feed(text[:cut]), *p.feed(text[cut:])]
    assert p.close() == Holder.model_validate_json(text)
    assert [tuple(e.path) for e in events] == [("item",), ()]


class Fallbacks(BaseModel):
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
    assert [tuple(ev.path) for ev in events] == [("inner",)]
    assert events[0].value == Fallbacks(a=0, b=5, c=1)
    assert error_keys(e.value) == [("value_error", ("xs", 0, "b"))]


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
    """Given both, pydantic takes the alias's value wherever it stands (populate_by_name): the
    name's value is judged when its object closes."""

    class Part(BaseModel):
        model_config = ConfigDict(populate_by_name=True)
        name: str = Field(alias="n", max_length=8)

    pieces = [text[k : k + 3] for k in range(0, len(text), 3)]
    p = ModelParser(Part)
    for piece in pieces[:-1]:
        p.feed(piece)  # never raises: nothing can be judged before the object closes
    check_document(Part, pieces)


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
    check_document(model, deltas)


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


# ---- generated documents (the zoo has many more models) ----------------------------------------

text_ = st.text(max_size=10)
floats = st.floats(allow_nan=False, allow_infinity=False)
tags = st.fixed_dictionaries({"label": st.text(min_size=1, max_size=12)}, optional={"weight": floats})
items = st.builds(
    lambda key, rest: {key: rest.pop("sku"), **rest},
    st.sampled_from(["SKU", "sku"]),
    st.fixed_dictionaries(
        {"sku": text_, "qty": st.integers(-1, 1001)},
        optional={
            "price": st.none() | floats,
            "color": st.sampled_from(["red", "green", "blue"]),
            "tags": st.lists(tags, max_size=3),
        },
    ),
)
pets = st.fixed_dictionaries({"kind": st.just("cat"), "lives": st.integers(0, 9)}) | st.fixed_dictionaries(
    {"kind": st.sampled_from(["dog", "cow"]), "good": st.booleans()}
)
orders = st.fixed_dictionaries(
    {"id": st.integers(), "items": st.lists(items, max_size=4), "pet": pets},
    optional={
        "meta": st.dictionaries(st.text(max_size=4), tags, max_size=3),
        "note": st.none() | text_,
        "status": st.sampled_from(["new", "paid", "lost"]),
        "zz": st.integers(),
    },
)


@settings(max_examples=150, deadline=None)
@given(st.data(), orders, st.booleans())
def test_orders_against_validate_json(data: st.DataObject, doc: dict[str, Any], ascii_: bool) -> None:
    text = json.dumps(doc, ensure_ascii=ascii_)
    check_document(Order, data.draw(splits(text)))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([False, True]), st.data(), st.integers(0, 2**32))
def test_composed_validation_equals_pydantic(clean: bool, data: st.DataObject, seed: int) -> None:
    """The differential test of the fuzz oracle, on its nested model family."""
    from support.oracle import check_model
    from tests.models import StrictTop, Top

    name, doc = data.draw(_CASES[clean])
    check_model(json.dumps(doc).encode(), Top if name == "top" else StrictTop, seed)


def _shaped(keys: dict[str, st.SearchStrategy[Any]], required: tuple[str, ...] = (), clean: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    junk = st.none() | st.booleans() | st.integers(-3, 3) | st.floats(-2, 2) | st.text(max_size=3) | st.just([1, "a"])
    value = {k: v if clean else st.one_of(v, v, v, junk) for k, v in keys.items()}
    return st.builds(
        lambda chosen, extra: {**chosen, **extra},
        st.fixed_dictionaries({k: value[k] for k in required}, optional={k: v for k, v in value.items() if k not in required}),
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


_CASES = {
    clean: st.sampled_from(["top", "strict"]).flatmap(
        lambda name, clean=clean: st.tuples(st.just(name), _family(clean)[0 if name == "top" else 1])
    )
    for clean in (False, True)
}
