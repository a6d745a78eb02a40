"""Validation plan: which parts of a document pydantic can validate on their own, and how.

A plan is compiled once per type from pydantic's core schema into a tree of :class:`Node`: an
object's members by JSON key (aliases resolved), a list's items, a dict's values. Each node owns a
``SchemaValidator`` built from the sub-schema at that position (with the configuration of the
model it belongs to), so a field, an item or a nested model is validated exactly as pydantic
validates it inside the whole, as soon as its value closes.

Where a part cannot be validated alone, its node has no validator and the part is validated with
its enclosing value instead (never skipped):

* a field validator that takes ``info`` (it may read ``info.data``, the other fields);
* anything under a ``before``, ``wrap`` or ``plain`` validator (it may reshape the input first);
* members of an object whose fields use ``AliasPath`` / ``AliasChoices``;
* the branches of a union (the union as a whole is validated when it closes).
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

    __slots__ = ("_validator", "config", "defs", "fields", "forbid_extra", "items", "model", "names", "schema", "standalone")

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
        self.items: Node | None = None  # list items, dict values
        self.model: Any = None  # the BaseModel class at this position, if any

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

    def child(self, key: str | int) -> Node | None:
        if self.fields is not None:
            return self.fields.get(key)  # type: ignore[arg-type]
        return self.items

    def adopt(self, inner: Node) -> None:
        """Take the structure (members, items) of the schema this one wraps."""
        self.fields, self.names, self.forbid_extra = inner.fields, inner.names, inner.forbid_extra
        self.items, self.model = inner.items, inner.model


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
        if kind in ("default", "nullable"):
            node.adopt(self.node(schema["schema"], config))
        elif kind == "function-after":
            inner = schema["schema"]
            wraps_model = self._target(inner)["type"] == "model"
            if schema["function"]["type"] == "with-info" and not wraps_model:
                node.standalone = False  # a field validator that may read other fields
            node.adopt(self.node(inner, config))
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
        elif kind == "list" and "items_schema" in schema:
            node.items = self.node(schema["items_schema"], config)
        elif kind == "dict" and "values_schema" in schema:
            node.items = self.node(schema["values_schema"], config)
        return node

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
        node.fields, node.names = members, names
        node.forbid_extra = (extra or config.get("extra_fields_behavior")) == "forbid"


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
