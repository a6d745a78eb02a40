"""pydantic models used by the tests: generic shapes, and models written for the recorded streams."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Color(str, Enum):
    red = "red"
    green = "green"


class Tag(BaseModel):
    label: Annotated[str, Field(min_length=1, max_length=12)]
    weight: float = 1.0


class Item(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    sku: str = Field(alias="SKU")
    qty: Annotated[int, Field(ge=0, le=1000)]
    price: float | None = None
    color: Color = Color.red
    tags: list[Tag] = []

    @field_validator("sku")
    @classmethod
    def upper(cls, v: str) -> str:
        return v.upper()


class Cat(BaseModel):
    kind: Literal["cat"]
    lives: int


class Dog(BaseModel):
    kind: Literal["dog"]
    good: bool


class Order(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: int
    items: list[Item]
    pet: Cat | Dog = Field(discriminator="kind")
    meta: dict[str, Tag] = {}
    note: str | None = None
    status: Literal["new", "paid"] = "new"

    @model_validator(mode="after")
    def not_too_many(self) -> Order:
        if len(self.items) > 50:
            raise ValueError("too many items")
        return self


class Strict(BaseModel):
    model_config = ConfigDict(strict=True)
    n: int
    flag: bool
    xs: list[int]


# ---- models written for the recorded LLM streams -------------------------------------------


class Character(BaseModel):
    name: str
    class_: Literal["warrior", "mage", "thief", "cleric", "ranger"] = Field(alias="class")
    description: str


class Characters(BaseModel):
    characters: list[Character]


class Bash(BaseModel):
    model_config = ConfigDict(extra="forbid")
    command: str


class TextEditor(BaseModel):
    model_config = ConfigDict(extra="forbid")
    command: Literal["create", "view", "str_replace", "insert", "undo_edit"]
    path: str
    file_text: str | None = None
    old_str: str | None = None
    new_str: str | None = None


class Units(BaseModel):
    units: Literal["c", "f"] | None = None


class CityWeather(Units):
    city: str
    country: str | None = None
    state: str | None = None
    temperature: float | None = None


class Location(BaseModel):
    location: str
    unit: Literal["celsius", "fahrenheit"] | None = None
    units: Literal["c", "f"] | None = None


class Calc(BaseModel):
    a: float
    b: float
    op: Literal["add", "subtract", "multiply", "divide"]


class Search(BaseModel):
    query: str
    limit: Annotated[int, Field(gt=0)] | None = None
    numResults: int | None = None


class Grep(BaseModel):
    pattern: str
    limit: int


class Stock(BaseModel):
    ticker: str
    exchange: str


class Forecast(BaseModel):
    day: str
    high: str
    low: str
    condition: str


class WeatherReport(BaseModel):
    location: str
    weather: dict[str, Any]
    forecast: list[Forecast] = []
    forecast_date: str | None = None
    note: str | None = None


class Note(BaseModel):
    noteId: str
    operations: list[dict[str, Any]] = []


class Elements(BaseModel):
    class Element(BaseModel):
        location: str
        temperature: float
        condition: str

    elements: list[Element]


class ShortLink(BaseModel):
    url: str
    alias: str = ""
    description: str = ""
    max_clicks: int | None = None
    password: str = ""


class Message(BaseModel):
    message: str


class Code(BaseModel):
    code: str


class Url(BaseModel):
    url: str


class Sku(BaseModel):
    sku: str


class Empty(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Conditions(BaseModel):
    location: str
    temperature: str
    conditions: str
    humidity: str
    wind_speed: str
    timestamp: str
    note: str


STREAM_MODELS: dict[frozenset[str], Any] = {
    frozenset(m.model_fields) if not k else frozenset(k): m
    for k, m in [
        ((), Characters),
        (("command",), Bash),
        (("command", "path"), TextEditor),
        (("command", "path", "file_text"), TextEditor),
        (("command", "path", "old_str"), TextEditor),
        (("command", "path", "old_str", "new_str"), TextEditor),
        (("city",), CityWeather),
        (("city", "units"), CityWeather),
        (("city", "country", "units"), CityWeather),
        (("city", "state"), CityWeather),
        (("city", "temperature", "units"), CityWeather),
        (("location",), Location),
        (("location", "unit"), Location),
        (("location", "units"), Location),
        ((), Calc),
        (("query",), Search),
        (("query", "limit"), Search),
        (("query", "numResults"), Search),
        ((), Grep),
        ((), Stock),
        (("location", "weather", "forecast"), WeatherReport),
        (("location", "weather", "forecast_date", "note"), WeatherReport),
        (("noteId",), Note),
        (("noteId", "operations"), Note),
        ((), Elements),
        ((), ShortLink),
        ((), Message),
        ((), Code),
        ((), Url),
        ((), Sku),
        ((), Conditions),
    ]
}
STREAM_MODELS[frozenset()] = Empty


# ---- a family for the differential test of composed validation ------------------------------


class Leaf(BaseModel):
    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)
    a: str = "x"
    b: list[int] = Field(default_factory=list)


class Mid(BaseModel):
    model_config = ConfigDict(populate_by_name=True, frozen=True)
    leaf: Leaf | None = Field(default=None, alias="L")
    leaves: dict[str, Leaf] = {}
    n: Annotated[int, Field(gt=0)] = 1
    names: list[str] = []

    @field_validator("names")
    @classmethod
    def sort_names(cls, v: list[str]) -> list[str]:
        return sorted(v)

    def model_post_init(self, context: Any) -> None:
        object.__setattr__(self, "_seen", len(self.names))


class Top(BaseModel):
    model_config = ConfigDict(extra="ignore")
    k: int
    mids: list[Mid] = []
    tag: Literal["x", "y"] | None = None
    score: float = 0.0

    @model_validator(mode="after")
    def k_not_negative(self) -> Top:
        if self.k < 0:
            raise ValueError("k < 0")
        return self


class StrictTop(BaseModel):
    model_config = ConfigDict(strict=True)
    k: int
    xs: list[float] = []
    mid: Mid | None = None
