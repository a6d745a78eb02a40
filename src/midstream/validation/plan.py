"""Validation plan: which parts of a document pydantic can validate on their own, and how.

A plan is compiled once per type from pydantic's core schema into a tree of :class:`Node`: an
object's members by JSON key (aliases resolved), a list's items, a dict's values. Each node owns a
``SchemaValidator`` built from the sub-schema at that position (with the configuration of the
model it belongs to), so a field, an item or a nested model is validated exactly as pydantic
validates it inside the whole, as soon as its value closes.

Each value is validated once. A leaf (and any part that must be validated from its JSON) goes
through its node's validator; a plain ``str``, ``int``, ``float``, ``bool``, ``None`` or ``Any``
with no constraint and no configuration that changes it is valid as parsed, so it skips pydantic
(``Node.trivial``). A *transparent* container (a model, list or dict whose parts were all
validated as they closed) is then checked by its *shell*: its own schema with every part's
schema replaced by ``any``, which keeps what belongs to the container itself (required fields,
defaults, extra keys, length constraints, model ``after`` validators) and takes the validated
parts as they are. That is how pydantic itself composes a model from its fields, so the result
equals validating the whole text; the tests compare the two on generated documents.

Where a part cannot be validated alone, its node has no validator and the part is validated with
its enclosing value instead (never skipped):

* a field validator that takes ``info`` (it may read ``info.data``, the other fields);
* anything under a ``before``, ``wrap`` or ``plain`` validator (it may reshape the input first);
* members of an object whose fields use ``AliasPath`` / ``AliasChoices``;
* the branches of a union that is not discriminated by a key (the union as a whole is validated
  when it closes). A discriminated union (``Field(discriminator="kind")``) chooses its variant as
  soon as the discriminator has closed; the members that follow are validated with the variant.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import TypeAdapter
from pydantic_core import SchemaValidator

__all__ = ["Node", "plan_for"]

_OPAQUE_FUNCTIONS = ("function-before", "function-wrap", "function-plain")


class Node:
    """One position of the plan."""

    __slots__ = (
        "_shell",
        "_validator",
        "config",
        "defs",
        "discriminator",
        "fields",
        "forbid_extra",
        "items",
        "max_chars",
        "max_items",
        "model",
        "names",
        "schema",
        "shadowed",
        "shell_schema",
        "standalone",
        "trivial",
        "variants",
    )

    def __init__(self, schema: Any, config: Any, defs: dict[str, Any], standalone: bool) -> None:
        self.schema = schema
        self.config = config
        self.defs = defs
        self.standalone = standalone  # can this position be validated on its own?
        self._validator: SchemaValidator | None = None
        #: JSON key -> node, for objects whose members are validated one by one (else None)
        self.fields: dict[str, Node] | None = None
        self.names: dict[str, str] = {}  # JSON key -> attribute name
        self.forbid_extra = False  # extra="forbid": an unknown key fails at once
        #: a field's name accepted besides its alias (populate_by_name): name -> alias. Given
        #: both, pydantic takes the alias's value wherever it stands, so the name's value can
        #: only be judged when the object closes: it is validated with the object.
        self.shadowed: dict[str, str] = {}
        self.items: Node | None = None  # list items, dict values
        self.max_items: int | None = None  # a list's max_length: longer fails before it closes
        self.max_chars: int | None = None  # a string's max_length: longer fails while it is open
        self.model: Any = None  # the BaseModel class at this position, if any
        #: the types a value may have to be valid as parsed (a plain leaf), else None
        self.trivial: tuple[type, ...] | None = None
        #: the schema of a transparent container with its parts as ``any`` (else None)
        self.shell_schema: Any = None
        self._shell: SchemaValidator | None = None
        #: a discriminated union: the key that names the variant, and each variant's node
        self.discriminator: str | None = None
        self.variants: dict[Any, Node] | None = None

    @property
    def validator(self) -> SchemaValidator | None:
        """Validator of this position's JSON on its own (built on first use), or None."""
        if not self.standalone:
            return None
        if self._validator is None:
            schema = self.schema
            if self.defs:
                schema = {"type": "definitions", "schema": schema, "definitions": list(self.defs.values())}
            self._validator = SchemaValidator(schema, self.config)
        return self._validator

    @property
    def shell(self) -> SchemaValidator | None:
        """Validator of this container built from its validated parts (``validate_python``)."""
        if self.shell_schema is None:
            return None
        if self._shell is None:
            self._shell = SchemaValidator(self.shell_schema, self.config)
        return self._shell

    def variant(self, value: Any) -> Node | None:
        """The variant a discriminated union's object has chosen (None: not known yet)."""
        if self.variants is None or value.__class__ is not dict:
            return None
        tag = value.get(self.discriminator)
        return self.variants.get(tag) if tag.__class__ in (str, int, bool) else None

    def child(self, key: str | int) -> Node | None:
        if self.fields is not None:
            return self.fields.get(key)  # type: ignore[arg-type]
        return self.items

    def forbids(self, key: str) -> bool:
        """Whether ``key`` is unknown here under ``extra="forbid"`` (it fails as it completes)."""
        return (
            self.forbid_extra
            and self.fields is not None
            and key not in self.fields
            and key not in self.shadowed
        )

    def adopt(self, inner: Node) -> None:
        """Take the structure (members, items) of the schema this one wraps."""
        self.fields, self.names, self.forbid_extra = inner.fields, inner.names, inner.forbid_extra
        self.shadowed = inner.shadowed
        self.items, self.model, self.max_items = inner.items, inner.model, inner.max_items
        self.max_chars = inner.max_chars


ANY: Any = {"type": "any"}
_PLAIN_LEAVES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),  # `type(v) in` is used: bool is not int here
    "float": (float,),
    "bool": (bool,),
    "none": (type(None),),
    "any": (str, int, float, bool, type(None), list, dict),
}
_PLAIN_KEYS = frozenset(("type", "ref", "metadata", "serialization", "strict"))
#: configuration that changes how a plain str or number validates
_LEAF_CONFIG = frozenset(
    (
        "str_strip_whitespace",
        "str_to_lower",
        "str_to_upper",
        "str_min_length",
        "str_max_length",
        "coerce_numbers_to_str",
        "allow_inf_nan",
        "regex_engine",
    )
)


def _trivial(schema: Any, config: Any) -> tuple[type, ...] | None:
    """The parsed types that are valid as they are at a plain leaf (None: ask pydantic)."""
    if schema["type"] == "nullable" and set(schema) <= _PLAIN_KEYS | {"schema"}:
        inner = _trivial(schema["schema"], config)
        return None if inner is None else (*inner, type(None))
    if schema["type"] not in _PLAIN_LEAVES or not set(schema) <= _PLAIN_KEYS:
        return None
    if config and _LEAF_CONFIG & set(config):
        return None
    if schema["type"] == "float":
        return None  # 1e400 and ints: let pydantic decide
    return _PLAIN_LEAVES[schema["type"]]


class _Compiler:
    def __init__(self) -> None:
        self.defs: dict[str, Any] = {}
        self.nodes: dict[int, Node] = {}  # by id(schema): shared and recursive schemas

    def node(self, schema: Any, config: Any, standalone: bool = True) -> Node:
        kind = schema["type"]
        if kind == "definitions":
            for d in schema["definitions"]:
                self.defs[d["ref"]] = d
            return self.node(schema["schema"], config, standalone)
        if kind == "definition-ref":
            return self.node(self.defs[schema["schema_ref"]], config, standalone)
        key = id(schema)
        if key in self.nodes:
            return self.nodes[key]
        node = self.nodes[key] = Node(schema, config, self.defs, standalone)
        node.trivial = _trivial(schema, config)
        if kind == "str" and not (config or {}).get("str_strip_whitespace"):
            limits = [n for n in (schema.get("max_length"), (config or {}).get("str_max_length")) if n is not None]
            node.max_chars = min(limits) if limits else None
        if kind in ("default", "nullable"):
            node.adopt(self.node(schema["schema"], config))
        elif kind == "function-after":
            inner = schema["schema"]
            wraps_model = self._target(inner)["type"] == "model"
            if schema["function"]["type"] == "with-info" and not wraps_model:
                node.standalone = False  # a field validator that may read other fields
            node.adopt(self.node(inner, config))  # max_length: checked on the input, before it
        elif kind in _OPAQUE_FUNCTIONS:
            if schema["function"]["type"] == "with-info" and kind != "function-plain":
                node.standalone = False
        elif kind == "model":
            cfg = schema.get("config", config)
            inner = self.node(schema["schema"], cfg)
            node.adopt(inner)
            node.config = cfg
            if not schema.get("root_model"):
                node.model = schema["cls"]
        elif kind == "model-fields":
            self._members(node, schema["fields"].items(), config, schema.get("extra_behavior"))
        elif kind == "typed-dict":
            cfg = schema.get("config", config)
            self._members(node, schema["fields"].items(), cfg, schema.get("extra_behavior"))
            node.config = cfg
        elif kind == "dataclass":
            cfg = schema.get("config", config)
            args = self._target(schema["schema"])
            if args["type"] == "dataclass-args":
                fields = [(f["name"], f) for f in args["fields"]]
                self._members(node, fields, cfg, args.get("extra_behavior"))
            node.config = cfg
        elif kind == "tagged-union" and isinstance(schema.get("discriminator"), str):
            node.discriminator = schema["discriminator"]
            node.variants = {tag: self.node(s, config) for tag, s in schema["choices"].items()}
        elif kind == "list" and "items_schema" in schema:
            node.items = self.node(schema["items_schema"], config)
            node.max_items = schema.get("max_length")
        elif kind == "dict" and "values_schema" in schema:
            node.items = self.node(schema["values_schema"], config)
        node.shell_schema = self._shell(schema, node)
        return node

    def _shell(self, schema: Any, node: Node) -> Any:
        """``schema`` with the schemas of its parts replaced by ``any`` (None: not transparent)."""
        kind = schema["type"]
        if kind in ("default", "nullable", "function-after"):
            if kind == "function-after" and not node.standalone:
                return None
            if kind == "default" and schema.get("validate_default"):
                return None
            inner = self._shell(self._target(schema["schema"]), node)
            return None if inner is None else _strip_ref({**schema, "schema": inner})
        if kind == "model":
            if schema.get("root_model") or node.fields is None:
                return None
            inner = self._shell(schema["schema"], node)
            return None if inner is None else _strip_ref({**schema, "schema": inner})
        if kind in ("model-fields", "typed-dict"):
            if schema.get("extras_schema") is not None or node.fields is None:
                return None
            fields = {}
            for name, field in schema["fields"].items():
                part = self._target(field["schema"])
                if not self.node(field["schema"], node.config).standalone:
                    return None  # its validator needs the other fields: validate the whole
                if part["type"] == "default":
                    if part.get("validate_default"):
                        return None
                    part = _strip_ref({**part, "schema": ANY})
                else:
                    part = ANY
                fields[name] = {**field, "schema": part}
            return _strip_ref({**schema, "fields": fields})
        if kind == "list" and node.items is not None and node.items.standalone:
            return _strip_ref({**schema, "items_schema": ANY})
        if kind == "dict" and node.items is not None and node.items.standalone:
            keys = schema.get("keys_schema")
            if keys is not None:
                k = self._target(keys)
                if k["type"] != "str" or set(k) - {"type", "ref", "metadata"}:
                    return None  # keys that pydantic converts: validate the whole dict
            return _strip_ref({**schema, "values_schema": ANY})
        return None

    def _target(self, schema: Any) -> Any:
        while schema["type"] in ("definition-ref", "definitions"):
            schema = self.defs[schema["schema_ref"]] if schema["type"] == "definition-ref" else schema["schema"]
        return schema

    def _members(self, node: Node, fields: Any, config: Any, extra: Any) -> None:
        config = config or {}
        by_alias = config.get("validate_by_alias", True)
        by_name = config.get("validate_by_name", False) or config.get("populate_by_name", False)
        members: dict[str, Node] = {}
        names: dict[str, str] = {}
        shadowed: dict[str, str] = {}
        for name, field in fields:
            alias = field.get("validation_alias")
            if alias is not None and not isinstance(alias, str):
                return  # AliasPath / AliasChoices: members validated with the whole object
            keys = []
            if alias is not None and by_alias:
                keys.append(alias)
            if alias is None or by_name:
                keys.append(name)
            child = self.node(field["schema"], config)
            for k in keys:
                members[k] = child
                names[k] = name
            if len(keys) == 2 and alias != name:
                del members[name]
                shadowed[name] = alias
        node.fields, node.names, node.shadowed = members, names, shadowed
        node.forbid_extra = (extra or config.get("extra_fields_behavior")) == "forbid"


def _strip_ref(schema: Any) -> Any:
    """A copied schema must not claim the reference of the one it copies."""
    schema.pop("ref", None)
    return schema


def plan_for(tp: Any) -> tuple[TypeAdapter[Any], Node]:
    """The adapter of ``tp`` and its plan (cached per type when the type is hashable)."""
    try:
        return _cached_plan(tp)
    except TypeError:  # an unhashable type expression (e.g. Annotated with a dict in it)
        return _compile_plan(tp)


def _compile_plan(tp: Any) -> tuple[TypeAdapter[Any], Node]:
    adapter: TypeAdapter[Any] = TypeAdapter(tp)
    root = _Compiler().node(adapter.core_schema, adapter.core_schema.get("config"))
    return adapter, root


_cached_plan = lru_cache(maxsize=256)(_compile_plan)
