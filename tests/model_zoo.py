"""A zoo of pydantic types as pydantic's users write them, each with a strategy of JSON documents.

Each :class:`Case` is a type and a hypothesis strategy of (mostly valid) documents for it, as
Python values to be serialised. The differential test (``tests/test_model_zoo.py``) spoils them
at random places, feeds them in random splits and compares everything with ``validate_json``.

Covered: validators of every mode (before, after, wrap, plain) and signature (with and without
``info``, reading ``info.data``), ``Annotated`` validators, model validators (before, after,
wrap), ``model_post_init``; aliases (``alias``, ``validation_alias``, ``AliasPath``,
``AliasChoices``, ``populate_by_name``, ``loc_by_alias=False``); discriminated unions (a string
discriminator, a callable one, a nested one), plain unions, ``Optional``; generics; recursive
models; strict mode; ``extra`` allow / forbid / ignore and typed extras; defaults and
``default_factory``; frozen models; computed fields; ``RootModel``; ``TypedDict``; dataclasses
(standard and pydantic); ``Json[...]``; dates, times, datetimes, timedeltas, UUID, Decimal,
enums; constrained types; ``allow_inf_nan``; tuples, sets, dicts with converted keys.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum, IntEnum
from typing import Annotated, Any, Generic, Literal, NamedTuple, TypeVar

from hypothesis import strategies as st
from pydantic import (
    AfterValidator,
    AliasChoices,
    AliasPath,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Json,
    PrivateAttr,
    RootModel,
    StringConstraints,
    Tag,
    ValidationInfo,
    computed_field,
    conint,
    conlist,
    field_validator,
    model_validator,
)
from pydantic.dataclasses import dataclass as pydantic_dataclass
from typing_extensions import TypedDict

T = TypeVar("T")

# ---- value strategies ----------------------------------------------------------------------

small_text = st.text(alphabet=st.sampled_from("ab c,é😀\"\\\n"), max_size=6)
words = st.sampled_from(["red", "green", "blue", "x", "", " pad ", "Ünï"])
ints = st.integers(-5, 5) | st.integers(-(10**20), 10**20)
floats = st.floats(-1e6, 1e6, allow_nan=False) | st.sampled_from([0.0, -0.0, 1.5, 1e300])
#: a number written 1e400 in the text (read as inf): see HUGE
HUGE = "\u2063HUGE\u2063"
numbers = ints | floats | st.just(HUGE)
dates = st.dates().map(str)
datetimes = st.datetimes().map(lambda d: d.isoformat())
uuids = st.uuids().map(str)
junk = (
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(-2, 2)
    | small_text
    | st.just([1, "a"])
    | st.just({"q": 1})
    | st.just(HUGE)
)


def obj(required: dict[str, Any], optional: dict[str, Any] | None = None) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(required, optional=optional or {})


# ---- validators of every mode and signature -----------------------------------------------


class Validators(BaseModel):
    """Field validators of each mode, with and without info; Annotated ones; model ones."""

    a: int
    b: Annotated[int, AfterValidator(lambda v: v + 1)] = 0
    tags: list[str] = []
    shout: str = ""
    wrapped: int = 0
    plain: Any = None
    both: Annotated[str, BeforeValidator(lambda v: str(v)), AfterValidator(lambda v: v.upper())] = ""
    flipped: Annotated[int, AfterValidator(lambda v: str(v))] = 0  # changes the type
    n_tags: int = 0

    @field_validator("a")
    @classmethod
    def double(cls, v: int) -> int:
        return v * 2

    @field_validator("tags", mode="before")
    @classmethod
    def split(cls, v: Any) -> Any:
        return v.split(",") if isinstance(v, str) else v

    @field_validator("shout", mode="after")
    @classmethod
    def loud(cls, v: str, info: ValidationInfo) -> str:
        return v.upper() + "!" * len(info.data.get("tags", []))  # reads info.data

    @field_validator("wrapped", mode="wrap")
    @classmethod
    def clamp(cls, v: Any, handler: Any) -> int:
        if v == "max":
            return 99
        return max(0, min(10, handler(v)))

    @field_validator("plain", mode="plain")
    @classmethod
    def anything(cls, v: Any) -> Any:
        if v == "bad":
            raise ValueError("plain says bad")
        return ("plain", v)

    @model_validator(mode="after")
    def count(self) -> Validators:
        object.__setattr__(self, "n_tags", len(self.tags))
        if self.a > 1000:
            raise ValueError("a too big")
        return self


class Before(BaseModel):
    """A model validator before (reshapes the input) and one wrapping."""

    x: int
    y: str = "y"

    @model_validator(mode="before")
    @classmethod
    def from_list(cls, data: Any) -> Any:
        if isinstance(data, list) and len(data) == 2:
            return {"x": data[0], "y": data[1]}
        return data


class Wrapped(BaseModel):
    inner: Before
    items: list[Before] = []
    n: int = 0

    @model_validator(mode="wrap")
    @classmethod
    def tolerant(cls, data: Any, handler: Any) -> Any:
        if isinstance(data, dict) and data.get("n") == "none":
            data = {**data, "n": 0}
        return handler(data)


class Passwords(BaseModel):
    password: str
    confirm: str = ""
    hint: str | None = None

    @field_validator("confirm")
    @classmethod
    def same(cls, v: str, info: ValidationInfo) -> str:
        if v and v != info.data.get("password"):
            raise ValueError("passwords differ")
        return v

    @field_validator("hint")
    @classmethod
    def not_the_password(cls, v: str | None, info: ValidationInfo) -> str | None:
        if v is not None and v == info.data.get("password"):
            raise ValueError("the hint is the password")
        return v


class PostInit(BaseModel):
    n: int
    _seen: int = PrivateAttr(default=0)

    def model_post_init(self, context: Any) -> None:
        if self.n == 13:
            raise ValueError("unlucky")
        self._seen = self.n


class Users(BaseModel):
    users: list[Passwords] = []
    posts: list[PostInit] = []
    top: Validators | None = None


# ---- aliases -------------------------------------------------------------------------------


class Aliases(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    sku: str = Field(alias="SKU", max_length=6)
    qty: int = Field(validation_alias="quantity", ge=0)
    first: int = Field(0, validation_alias=AliasPath("pair", 0))
    choice: str = Field("", validation_alias=AliasChoices("choice", "alt", AliasPath("deep", "x")))


class NameLocs(BaseModel):
    model_config = ConfigDict(populate_by_name=True, loc_by_alias=False)
    value: int = Field(alias="v")
    items: list[Aliases] = []


# ---- unions --------------------------------------------------------------------------------


class Cat(BaseModel):
    kind: Literal["cat"]
    lives: Annotated[int, Field(ge=0, le=9)]
    name: str = ""


class Dog(BaseModel):
    kind: Literal["dog"]
    good: bool
    tricks: list[str] = []


class Fish(BaseModel):
    kind: Literal[3]
    fins: int


def pet_kind(v: Any) -> Any:
    return v.get("kind") if isinstance(v, dict) else getattr(v, "kind", None)


class Pets(BaseModel):
    pet: Cat | Dog = Field(discriminator="kind")
    others: list[Annotated[Cat | Dog | Fish, Field(discriminator="kind")]] = []
    called: Annotated[Annotated[Cat, Tag("cat")] | Annotated[Dog, Tag("dog")], Discriminator(pet_kind)] | None = None
    plain: Cat | Dog | None = None
    scalar: int | str | list[int] = 0
    maybe: float | None = None


# ---- generics, recursion, strict, extra, defaults, frozen, computed ---------------------------


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = 0
    next: str | None = None


class Tree(BaseModel):
    value: int
    children: list[Tree] = []
    label: Annotated[str, StringConstraints(max_length=4)] = ""


class CheckedTree(BaseModel):
    v: int = 0
    kids: list[CheckedTree] = []

    @model_validator(mode="after")
    def bounded(self) -> CheckedTree:
        if self.v > 3:
            raise ValueError("v > 3")
        return self


class Strict(BaseModel):
    model_config = ConfigDict(strict=True)
    n: int
    f: float = 0.0
    flag: bool = False
    when: date | None = None
    id: uuid.UUID | None = None
    xs: list[int] = []


class Allow(BaseModel):
    model_config = ConfigDict(extra="allow")
    a: int = 0


class Forbid(BaseModel):
    model_config = ConfigDict(extra="forbid")
    a: int = 0
    sub: Allow | None = None


class Ignore(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    a: int = 0
    made: list[int] = Field(default_factory=lambda: [1, 2])
    stamp: str = Field(default_factory=lambda: "now")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def double(self) -> int:
        return self.a * 2


class TypedExtras(BaseModel):
    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, int] = Field(init=False)
    name: str = ""


class Extras(BaseModel):
    allow: Allow | None = None
    forbid: list[Forbid] = []
    ignore: Ignore | None = None
    typed: TypedExtras | None = None


# ---- RootModel, TypedDict, dataclasses, Json ---------------------------------------------------


class Scores(RootModel[dict[str, Annotated[int, Field(ge=0)]]]):
    pass


class Point(TypedDict):
    x: int
    y: int


class PointOpt(TypedDict, total=False):
    label: str
    z: float


@dataclasses.dataclass
class Plain:
    name: str
    n: int = 0


@pydantic_dataclass
class Checked:
    name: str
    n: Annotated[int, Field(gt=0)] = 1

    def __post_init__(self) -> None:
        if self.name == "boom":
            raise ValueError("boom")


class Containers(BaseModel):
    scores: Scores | None = None
    point: Point | None = None
    opt: PointOpt | None = None
    plain: Plain | None = None
    checked: list[Checked] = []
    blob: Json[list[int]] | None = None
    anyjson: Json[Any] = None  # type: ignore[assignment]
    pair: tuple[int, str] | None = None
    many: tuple[int, ...] = ()
    unique: set[int] = set()
    by_int: dict[int, str] = {}


# ---- dates, ids, decimals, enums, constrained, inf/nan -------------------------------------------


class Color(str, Enum):
    red = "red"
    green = "green"


class Level(IntEnum):
    low = 1
    high = 2


class Scalars(BaseModel):
    day: date | None = None
    at: datetime | None = None
    clock: time | None = None
    span: timedelta | None = None
    id: uuid.UUID | None = None
    price: Decimal | None = None
    cents: Annotated[Decimal, Field(max_digits=6, decimal_places=2)] | None = None
    color: Color = Color.red
    level: Level = Level.low
    code: Annotated[str, StringConstraints(pattern=r"^[a-z]+$", min_length=1, max_length=8)] | None = None
    short: Annotated[str, StringConstraints(strip_whitespace=True, max_length=3)] = ""
    lower: Annotated[str, StringConstraints(to_lower=True, max_length=4)] = ""
    small: conint(ge=-3, le=3) = 0  # type: ignore[valid-type]
    few: conlist(int, min_length=1, max_length=3) = [0]  # type: ignore[valid-type]
    ratio: float = 0.0
    finite: Annotated[float, Field(allow_inf_nan=False)] = 0.0
    maybe: float | None = None
    lit: Literal["a", 1, True, None] = "a"


class NoInf(BaseModel):
    model_config = ConfigDict(allow_inf_nan=False, str_max_length=5, str_strip_whitespace=True)
    x: float = 0.0
    xs: list[float] = []
    s: str = ""
    when: date | None = None


class Point3(NamedTuple):
    x: int
    y: int
    z: int = 0


class Case(NamedTuple):
    name: str
    tp: Any
    docs: st.SearchStrategy[Any]


validators_docs = obj(
    {"a": ints},
    {
        "b": ints,
        "tags": st.lists(small_text, max_size=3) | small_text,
        "shout": small_text,
        "wrapped": st.integers(-20, 20) | st.just("max"),
        "plain": junk | st.just("bad"),
        "both": small_text | ints,
        "flipped": ints,
    },
)
before_docs = obj({"x": ints}, {"y": small_text}) | st.tuples(ints, small_text).map(list)
password_docs = obj(
    {"password": words},
    {"confirm": words, "hint": st.none() | words},
)
CASES = [
    Case("validators", Validators, validators_docs),
    Case(
        "model_before_wrap",
        Wrapped,
        obj({"inner": before_docs}, {"items": st.lists(before_docs, max_size=3), "n": st.integers(0, 3) | st.just("none")}),
    ),
    Case(
        "info_data",
        Users,
        obj(
            {},
            {
                "users": st.lists(password_docs, max_size=3),
                "posts": st.lists(obj({"n": st.integers(10, 14)}), max_size=3),
                "top": validators_docs,
            },
        ),
    ),
    Case(
        "aliases",
        list[Aliases],
        st.lists(
            st.builds(
                lambda sku_key, qty_key, rest: {sku_key: rest.pop("sku"), qty_key: rest.pop("qty"), **rest},
                st.sampled_from(["SKU", "sku"]),
                st.sampled_from(["quantity", "qty"]),
                obj(
                    {"sku": small_text, "qty": st.integers(-1, 5)},
                    {
                        "pair": st.lists(ints, max_size=2),
                        "choice": small_text,
                        "alt": small_text,
                        "deep": obj({}, {"x": small_text}),
                    },
                ),
            ),
            max_size=3,
        ),
    ),
    Case(
        "name_locs",
        NameLocs,
        obj({"v": ints}, {"value": ints, "items": st.lists(obj({"SKU": small_text, "quantity": ints}), max_size=2)}),
    ),
    Case(
        "unions",
        Pets,
        obj(
            {
                "pet": obj({"kind": st.sampled_from(["cat", "dog", "bird"]), "lives": st.integers(0, 10)}, {"good": st.booleans(), "name": small_text})
                | obj({"good": st.booleans(), "kind": st.just("dog")}, {"tricks": st.lists(small_text, max_size=2)}),
            },
            {
                "others": st.lists(
                    obj({"kind": st.sampled_from(["cat", "dog", 3, "3"])}, {"lives": st.integers(0, 9), "good": st.booleans(), "fins": ints}),
                    max_size=3,
                ),
                "called": st.none() | obj({"kind": st.sampled_from(["cat", "dog"])}, {"lives": st.integers(0, 9), "good": st.booleans()}),
                "plain": st.none() | obj({"kind": st.sampled_from(["cat", "dog"])}, {"lives": st.integers(0, 9), "good": st.booleans()}),
                "scalar": ints | small_text | st.lists(ints, max_size=2),
                "maybe": st.none() | numbers,
            },
        ),
    ),
    Case(
        "generic",
        Page[Cat],
        obj(
            {"items": st.lists(obj({"kind": st.just("cat"), "lives": st.integers(0, 9)}), max_size=3)},
            {"total": ints, "next": st.none() | small_text},
        ),
    ),
    Case(
        "recursive",
        Tree,
        st.recursive(
            obj({"value": ints}, {"label": st.sampled_from(["", "abcd", "abcde"])}),
            lambda kids: obj({"value": ints}, {"children": st.lists(kids, max_size=3)}),
            max_leaves=12,
        ),
    ),
    Case(
        "recursive_checked",
        CheckedTree,
        st.recursive(
            obj({}, {"v": st.integers(0, 4)}),
            lambda kids: obj({"v": st.integers(0, 4)}, {"kids": st.lists(kids, max_size=3)}),
            max_leaves=12,
        ),
    ),
    Case(
        "strict",
        Strict,
        obj(
            {"n": ints},
            {
                "f": numbers,
                "flag": st.booleans(),
                "when": st.none() | dates,
                "id": st.none() | uuids,
                "xs": st.lists(ints, max_size=3),
            },
        ),
    ),
    Case(
        "extra",
        Extras,
        obj(
            {},
            {
                "allow": st.dictionaries(st.sampled_from(["a", "b", "c"]), ints | small_text, max_size=3),
                "forbid": st.lists(st.dictionaries(st.sampled_from(["a", "sub", "zz"]), ints, max_size=2), max_size=2),
                "ignore": st.dictionaries(st.sampled_from(["a", "made", "double", "zz"]), ints, max_size=3),
                "typed": st.dictionaries(st.sampled_from(["name", "k1", "k2"]), ints | small_text, max_size=3),
            },
        ),
    ),
    Case(
        "containers",
        Containers,
        obj(
            {},
            {
                "scores": st.dictionaries(small_text, st.integers(-1, 5), max_size=3),
                "point": obj({"x": ints, "y": ints}),
                "opt": obj({}, {"label": small_text, "z": numbers}),
                "plain": obj({"name": small_text}, {"n": ints}),
                "checked": st.lists(obj({"name": st.sampled_from(["a", "boom"])}, {"n": st.integers(-1, 3)}), max_size=2),
                "blob": st.lists(st.integers(-2, 2), max_size=3).map(lambda v: __import__("json").dumps(v))
                | st.sampled_from(["[1, \"x\"]", "nope", "[]"]),
                "anyjson": st.sampled_from(["{}", "[1]", "null", "{bad"]),
                "pair": st.tuples(ints, small_text).map(list) | st.lists(ints, max_size=3),
                "many": st.lists(ints, max_size=3),
                "unique": st.lists(st.integers(0, 3), max_size=4),
                "by_int": st.dictionaries(st.sampled_from(["1", "2", "x"]), small_text, max_size=2),
            },
        ),
    ),
    Case(
        "scalars",
        Scalars,
        obj(
            {},
            {
                "day": dates | st.sampled_from(["2024-02-30", "x"]),
                "at": datetimes | st.just(HUGE),
                "clock": st.times().map(lambda t: t.isoformat()),
                "span": st.sampled_from(["PT1H", "P1D", 3600, 1.5, HUGE]),
                "id": uuids | st.just("not-a-uuid"),
                "price": numbers | st.sampled_from(["1.10", "x"]),
                "cents": st.sampled_from([1.5, 12.345, 9999.99, "100000", 0]),
                "color": st.sampled_from(["red", "green", "blue"]),
                "level": st.sampled_from([1, 2, 3, "1"]),
                "code": st.sampled_from(["abc", "ABC", "", "abcdefghi"]),
                "short": st.sampled_from(["abc      ", " ab ", "abcd", "abcd  "]),
                "lower": st.sampled_from(["ABCD", "İİİ", "ABCDE"]),
                "small": st.integers(-4, 4),
                "few": st.lists(ints, max_size=4),
                "ratio": numbers,
                "finite": numbers,
                "maybe": st.none() | numbers,
                "lit": st.sampled_from(["a", 1, True, None, "b", 2, False, 1.0]),
            },
        ),
    ),
    Case(
        "no_inf",
        NoInf,
        obj(
            {},
            {
                "x": numbers,
                "xs": st.lists(numbers, max_size=3),
                "s": st.sampled_from(["abcde   ", "abcdef", " a "]),
                "when": st.none() | dates | st.just(HUGE),
            },
        ),
    ),
    Case("top_list", list[Annotated[int, Field(ge=0)]], st.lists(ints, max_size=5)),
    Case("top_capped", Annotated[list[Point], Field(max_length=2)], st.lists(obj({"x": ints, "y": ints}), max_size=4)),
    Case("top_str", Annotated[str, StringConstraints(max_length=3)], st.sampled_from(["ab", "abcd", ""])),
    Case("top_union", int | list[int] | dict[str, int], st.integers() | st.lists(ints, max_size=3) | st.dictionaries(small_text, ints, max_size=2)),
    Case("namedtuple", list[Point3], st.lists(st.lists(ints, min_size=2, max_size=4), max_size=2)),
    Case("any", dict[str, Any], st.dictionaries(small_text, junk, max_size=4)),
]
