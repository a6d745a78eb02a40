"""The validation plan: what can be judged early at each position of a document, and how.

A plan is compiled once per type from pydantic's core schema into a tree of :class:`Node`: an
object's members by JSON key (aliases resolved), a list's items, a dict's values, a discriminated
union's variants by tag. :class:`~midstream.validation.model.ModelParser` walks it with the
parser's events, one node per open container.

A node never decides anything by itself. It holds the position's own schema (with the
configuration of the model it belongs to), from which :attr:`Node.validator` builds a pydantic
``SchemaValidator`` for exactly that position; every early verdict is that validator's, run on
the part's own JSON. What the node adds is *when* that is equivalent to validating the whole
document, and cheap filters that say "certainly valid, no need to ask":

* ``ok`` / ``values``: the parsed types (a plain ``str``, ``int``, ``float``, ``bool``, ``None``,
  ``Any``) or exact values (``Literal``, enums) that are valid as parsed at a plain leaf;
* ``required``, ``min_len`` / ``max_len``: the shape a closed container must have (the keys of
  required fields, its length); a container of another shape is given to its validator, which
  decides (so a filter that is too strict costs time, never a false failure).

**Independent positions.** A position can be judged alone only if nothing around it can change
its input or its verdict. The compiler does not descend (the parts below have no node and wait
for the enclosing value, which is validated whole when it closes) into:

* a position with a ``before``, ``wrap`` or ``plain`` validator (it may reshape its input), a
  custom ``__init__``, a union without a string discriminator, a callable or nested
  discriminator, a fixed-length tuple, and leaves of every other kind (dates, ``Json[...]``, ...);
* a field whose schema holds a validator that takes ``info`` (it may read ``info.data``, the other
  fields): the whole field waits for its object (:data:`DEFER_NODE`), validated whole when it
  closes;
* members given by ``AliasPath`` / ``AliasChoices``, and a field's name besides its alias
  (``populate_by_name``: given both, pydantic takes the alias's value wherever it stands): they
  wait for their object too.

``after`` validators do not change what their parts receive: the parts are still judged alone,
and the position with the validator is validated whole when it closes (``whole``). So is a
model with a ``model_post_init`` of its own, a dict whose keys pydantic converts, and an object
of a discriminated union whose tag came after some of its members.

**Length limits** are judged as soon as they are certain: a string with a ``max_length`` (and no
transform) while it is open, a ``list`` with a ``max_length`` as the item too many begins. Inside
such a list an item's failure waits for the list (pydantic reports only ``too_long`` when the
list ends up too long). **Depth**: a value inside more containers than pydantic's JSON parser
reads fails as it begins (the limit is found at run time).

Whole validations nest at most :data:`MAX_WHOLE_NESTING` deep over any part (the innermost ones
are done; a larger one waits for the final validation), so the cost stays linear at any depth.
"""

from __future__ import annotations

from enum import Enum
from functools import lru_cache
from typing import Any

from pydantic import TypeAdapter
from pydantic_core import SchemaValidator

__all__ = ["Node", "plan_for"]

# Kinds of node (what a container arriving here is).
LEAF = 0  # no structure: a container here is validated whole when it closes
OBJECT = 1  # members by key: a model, a TypedDict, a dataclass
LIST = 2  # items: a list, a set, a variadic tuple
DICT = 3  # values by any key
TAGGED = 4  # a discriminated union: the variant is an OBJECT chosen by the tag
ANY = 5  # anything is valid: nothing to check below

# Special nodes: where the lookup of a member lands on one, the event takes the slow path.
NORMAL = 0
FORBIDDEN = 1  # an unknown key under extra="forbid": fails when its value is complete
DEFERRED = 2  # a member only its object can judge (info.data, aliases): the object is whole
PENDING = 3  # a member of a discriminated union's object whose tag is not known yet
TAG = 4  # the discriminator of a discriminated union's object
COUNTED = 5  # an item of a list with max_length: fails as soon as the list is too long
TOO_DEEP = 6  # a value inside 201 open containers: pydantic's JSON parser refuses it
TOP = 7  # the top-level value
MISMATCHED = 8  # a container that is not the one the node expects: pydantic judges it whole

#: How many validations of a whole container may cover one character (see ModelParser): the
#: innermost ones are done, larger ones wait for close(), so the cost stays linear.
MAX_WHOLE_NESTING = 3

_PLAIN_KEYS = frozenset(("type", "ref", "metadata", "serialization", "strict"))
#: configuration that changes how a plain str validates (or what a string becomes)
_STR_CONFIG = ("str_strip_whitespace", "str_to_lower", "str_to_upper", "str_min_length", "str_max_length")
_STR_TRANSFORMS = ("strip_whitespace", "to_lower", "to_upper")
_NONE = type(None)
_JSON_TYPES = (str, int, float, bool, _NONE, dict, list)
_FUNCTIONS = ("function-before", "function-after", "function-wrap", "function-plain")


class Node:
    """One position of the plan (see the module docstring)."""

    __slots__ = (
        "_validator",
        "cls",
        "config",
        "container",
        "extra",
        "extra_mode",
        "fields",
        "floats",
        "inner",
        "items",
        "kind",
        "locs",
        "lookup",
        "max_chars",
        "max_len",
        "min_len",
        "mismatched",
        "names",
        "ok",
        "overflow",
        "plain",
        "refs",
        "required",
        "required_set",
        "schema",
        "special",
        "tag_key",
        "values",
        "variants",
        "watch_strings",
        "whole",
        "wrapper",
    )

    def __init__(self, schema: Any = None, config: Any = None, kind: int = LEAF, special: int = NORMAL) -> None:
        self.schema = schema  # this position's schema (None: no validator of its own)
        self.config = config
        self.refs: tuple[Any, ...] = ()  # the definitions the schema needs
        self._validator: SchemaValidator | None = None
        self.kind = kind
        self.special = special
        #: parsed types valid as they are here (the fast filter of a leaf); () asks pydantic
        self.ok: frozenset[type] = frozenset()
        #: exact (type, value) pairs valid here (Literal, enum), or None
        self.values: frozenset[tuple[type, Any]] | None = None
        self.floats = False  # a float position: an int arrives as an int, pydantic makes a float
        self.max_chars: int | None = None  # a str's max_length, judged while the string is open
        # containers
        self.fields: dict[str, Node] | None = None  # OBJECT: member nodes by JSON key
        self.extra: Node | None = None  # OBJECT: the node of keys not in fields (None: ignored)
        self.extra_mode = "ignore"
        self.items: Node | None = None  # LIST items, DICT values
        self.whole = False  # a value closing here is validated whole (by its validator)
        self.required: tuple[tuple[str, ...], ...] = ()  # OBJECT: one key of each must be there
        #: OBJECT: the required keys when each has one (a set to compare with the keys at once);
        #: None where some field takes one of several keys (plain containers never have that)
        self.required_set: frozenset[str] | None = None
        self.min_len: int | None = None
        self.max_len: int | None = None
        self.overflow: int | None = None  # LIST: max_length, failed as soon as exceeded
        self.tag_key: str | None = None  # TAGGED
        #: TAGGED: (type, tag) as JSON gives it -> the variant's OBJECT node
        self.variants: dict[tuple[type, Any], Node] | None = None
        # the typed partial value
        self.cls: Any = None  # the model or dataclass built here
        self.wrapper: Any = None  # a RootModel wrapping this position
        self.names: dict[str, str] = {}  # JSON key -> attribute name
        self.locs: dict[str, Any] | None = None  # JSON key -> error location, where they differ
        self.inner: Node | None = None  # special nodes: the node they stand in front of
        self.mismatched: Node | None = None  # (its MISMATCHED special node, once made)
        #: (the root) a string has a max_length to watch while open, or a list one to count
        self.watch_strings = False
        #: a container here is judged by its required keys alone (no whole validation, no
        #: length bound, not a union): the fast path of a closing container
        self.plain = False
        #: the container class the structure expects (dict or list; None: no structure)
        self.container: type | None = None
        #: how a frame of a container here looks its members up: (fields, extra, items)
        self.lookup: tuple[dict[str, Node] | None, Node | None, Node | None] = (None, None, None)

    @property
    def validator(self) -> SchemaValidator | None:
        """pydantic's validator of this position on its own (built on first use), or None."""
        if self._validator is None and self.schema is not None:
            schema = self.schema
            if self.refs:
                if any(d["ref"] == schema.get("ref") for d in self.refs):  # (itself: recursive)
                    schema = {"type": "definition-ref", "schema_ref": schema["ref"]}
                schema = {"type": "definitions", "schema": schema, "definitions": list(self.refs)}
            self._validator = SchemaValidator(schema, self.config)
        return self._validator

    def child(self, key: str | int) -> Node | None:
        """The node of a member (OBJECT) or item (LIST, DICT) at ``key``."""
        if self.fields is not None:
            return self.fields.get(key, self.extra)  # type: ignore[arg-type]
        return self.items

    def variant(self, tag: Any) -> Node | None:
        """A discriminated union's variant for a complete tag (None: not a known tag)."""
        if self.variants is None or tag.__class__ not in (str, int, bool):
            return None
        return self.variants.get((tag.__class__, tag))

    def __repr__(self) -> str:
        kind = ("leaf", "object", "list", "dict", "tagged", "any")[self.kind]
        what = self.schema["type"] if self.schema is not None else "-"
        special = f" special={self.special}" if self.special else ""
        return f"<Node {kind} {what}{special}>"


def _special(special: int, inner: Node | None = None) -> Node:
    n = Node(special=special)
    n.inner = inner
    return n


#: shared special nodes (COUNTED, TAG and ROOT are made per node: they hold one)
FORBID_NODE = _special(FORBIDDEN)
DEFER_NODE = _special(DEFERRED)
PENDING_NODE = _special(PENDING)
TOO_DEEP_NODE = _special(TOO_DEEP)
ANY_NODE = Node(kind=ANY)
ANY_NODE.ok = frozenset(_JSON_TYPES)


class _Compiler:
    def __init__(self) -> None:
        self.defs: dict[str, Any] = {}
        self.nodes: dict[tuple[int, int], Node] = {}  # shared and recursive schemas
        self._refs: dict[int, frozenset[str]] = {}

    # ---- what a schema needs ------------------------------------------------------------------

    def target(self, schema: Any) -> Any:
        seen = 0
        while schema["type"] in ("definition-ref", "definitions") and seen < 100:
            if schema["type"] == "definitions":
                for d in schema["definitions"]:
                    self.defs[d["ref"]] = d
                schema = schema["schema"]
            else:
                schema = self.defs[schema["schema_ref"]]
            seen += 1
        return schema

    def refs_of(self, schema: Any) -> tuple[Any, ...]:
        """The definitions ``schema`` refers to, directly or through other definitions."""
        todo = list(self._direct_refs(schema))
        found: dict[str, Any] = {}
        while todo:
            r = todo.pop()
            if r in found or r not in self.defs:
                continue
            found[r] = self.defs[r]
            todo.extend(self._direct_refs(self.defs[r]))
        return tuple(found.values())

    def _direct_refs(self, schema: Any) -> frozenset[str]:
        key = id(schema)
        got = self._refs.get(key)
        if got is None:
            out: set[str] = set()
            todo = [schema]
            while todo:
                x = todo.pop()
                if isinstance(x, dict):
                    if x.get("type") == "definition-ref" and isinstance(x.get("schema_ref"), str):
                        out.add(x["schema_ref"])
                    if x.get("type") == "definitions":
                        for d in x.get("definitions", ()):
                            self.defs.setdefault(d["ref"], d)
                    todo.extend(v for v in x.values() if isinstance(v, (dict, list)))
                elif isinstance(x, list):
                    todo.extend(v for v in x if isinstance(v, (dict, list)))
            got = self._refs[key] = frozenset(out)
        return got

    def reads_data(self, schema: Any, seen: set[int] | None = None) -> bool:
        """Whether ``schema`` (a field's) holds a validator taking ``info`` outside a nested
        model, dataclass or TypedDict: it may read ``info.data``, the object's other fields."""
        seen = set() if seen is None else seen
        todo = [schema]
        while todo:
            s = todo.pop()
            if not isinstance(s, dict) or id(s) in seen:
                continue
            seen.add(id(s))
            kind = s.get("type")
            if kind in _FUNCTIONS and s.get("function", {}).get("type") == "with-info":
                return True
            if kind in ("model", "dataclass", "typed-dict"):
                continue  # its own fields: its own info.data
            if kind == "definition-ref":
                d = self.defs.get(s.get("schema_ref"))  # type: ignore[arg-type]
                if d is not None:
                    todo.append(d)
                continue
            for k, v in s.items():
                if k in ("metadata", "serialization", "cls", "function", "default", "custom_error_context"):
                    continue
                if isinstance(v, dict):
                    todo.append(v)
                elif isinstance(v, list):
                    todo.extend(x for x in v if isinstance(x, dict))
                    if k == "choices":  # a union's choices may be (schema, tag) pairs
                        todo.extend(y for x in v if isinstance(x, (list, tuple)) for y in x if isinstance(y, dict))
        return False

    # ---- nodes --------------------------------------------------------------------------------

    def node(self, schema: Any, config: Any) -> Node:
        schema = self.target(schema)
        key = (id(schema), id(config))
        got = self.nodes.get(key)
        if got is not None:
            return got
        node = self.nodes[key] = Node(schema, config)
        node.refs = self.refs_of(schema)
        self._fill(node, schema, config or {})
        return node

    def _fill(self, node: Node, schema: Any, config: Any) -> None:
        kind = schema["type"]
        if kind in ("str", "int", "float", "bool", "none", "literal", "enum", "any"):
            self._leaf(node, schema, config)
        elif kind == "nullable":
            inner = self.node(schema["schema"], node.config)
            self._adopt(node, inner)
            if inner.kind != ANY and (inner.ok or inner.values is not None):
                node.ok = inner.ok | {_NONE}
                node.values = inner.values
            node.whole = inner.whole
        elif kind == "default":
            if schema.get("on_error", "raise") != "raise":
                self._any(node)  # an invalid value becomes the default: never an error
                return
            inner = self.node(schema["schema"], node.config)
            self._adopt(node, inner)
            node.ok, node.values, node.whole = inner.ok, inner.values, inner.whole
        elif kind == "function-after":
            inner = self.node(schema["schema"], node.config)
            self._adopt(node, inner)
            node.whole = True  # the function needs the whole value (a leaf: its validator)
        elif kind in ("function-before", "function-wrap", "function-plain"):
            pass  # a leaf: no structure, its input may be reshaped
        elif kind == "model":
            self._model(node, schema)
        elif kind in ("model-fields", "typed-dict"):
            self._members(node, schema, config, kind)
        elif kind == "dataclass":
            self._dataclass(node, schema)
        elif kind in ("list", "set", "frozenset") or (
            kind == "tuple" and len(schema.get("items_schema", ())) == 1 and schema.get("variadic_item_index") == 0
        ):
            items = schema.get("items_schema")
            if isinstance(items, list):
                items = items[0]
            node.kind = LIST
            node.items = self.node(items, node.config) if items is not None else ANY_NODE
            node.min_len, node.max_len = schema.get("min_length"), schema.get("max_length")
            if kind == "list" and node.max_len is not None:
                node.overflow = node.max_len  # more items can only make it longer
        elif kind == "dict":
            node.kind = DICT
            values = schema.get("values_schema")
            node.items = self.node(values, node.config) if values is not None else ANY_NODE
            node.min_len, node.max_len = schema.get("min_length"), schema.get("max_length")
            keys = schema.get("keys_schema")
            if keys is not None:
                k = self.target(keys)
                plain_str = k["type"] == "str" and set(k) <= _PLAIN_KEYS and not any(config.get(c) for c in _STR_CONFIG)
                if not plain_str and k["type"] != "any":
                    node.whole = True  # keys that pydantic converts or constrains
        elif kind == "tagged-union" and isinstance(schema.get("discriminator"), str):
            node.kind = TAGGED
            node.tag_key = schema["discriminator"]
            node.variants = {}
            choices = schema["choices"]
            for tag, choice in choices.items():
                seen = 0
                while isinstance(choice, (str, int)) and seen < 10:  # an alias of another tag
                    choice, seen = choices[choice], seen + 1
                if isinstance(choice, (str, int)):
                    continue
                v = self.node(choice, node.config)
                if v.kind != OBJECT:
                    continue
                value = tag.value if isinstance(tag, Enum) else tag
                if value.__class__ in (str, int, bool):
                    node.variants[(value.__class__, value)] = v
        elif kind == "json-or-python":
            inner = self.node(schema["json_schema"], node.config)
            self._adopt(node, inner)
            node.ok, node.values, node.whole = inner.ok, inner.values, inner.whole
        # every other kind is a leaf judged by its validator (union, json, date, ...)

    def _leaf(self, node: Node, schema: Any, config: Any) -> None:
        kind = schema["type"]
        plain = set(schema) <= _PLAIN_KEYS
        if kind == "any":
            self._any(node)
        elif kind == "str":
            transforms = any(schema.get(t) for t in _STR_TRANSFORMS) or any(
                config.get(c) for c in ("str_strip_whitespace", "str_to_lower", "str_to_upper")
            )
            if plain and not any(config.get(c) for c in _STR_CONFIG):
                node.ok = frozenset((str,))
            if not transforms:
                limits = [n for n in (schema.get("max_length"), config.get("str_max_length")) if n is not None]
                node.max_chars = min(limits) if limits else None
        elif kind == "int" and plain:
            node.ok = frozenset((int,))
        elif kind == "float":
            node.floats = True
            nan_ok = schema.get("allow_inf_nan", config.get("allow_inf_nan", True))
            if set(schema) <= _PLAIN_KEYS | {"allow_inf_nan"} and nan_ok:
                node.ok = frozenset((float, int))
        elif kind == "bool" and plain:
            node.ok = frozenset((bool,))
        elif kind == "none" and plain:
            node.ok = frozenset((_NONE,))
        elif kind == "literal":
            expected = schema.get("expected", [])
            node.values = frozenset((v.__class__, v) for v in expected if v.__class__ in (str, int, bool, _NONE))
        elif kind == "enum" and "missing" not in schema:
            sub = schema.get("sub_type")
            members = [m.value for m in schema.get("members", [])]
            want = {"str": (str,), "int": (int,), "float": (float,)}.get(sub, (str, int))
            node.values = frozenset((v.__class__, v) for v in members if v.__class__ in want)

    def _any(self, node: Node) -> None:
        node.kind = ANY
        node.ok = ANY_NODE.ok

    def _adopt(self, node: Node, inner: Node) -> None:
        """Take the structure of the schema this one wraps (its parts are judged alone)."""
        for name in (
            "kind", "fields", "extra", "extra_mode", "items", "required", "min_len", "max_len",
            "overflow", "tag_key", "variants", "cls", "wrapper", "names", "locs", "max_chars", "floats",
        ):
            setattr(node, name, getattr(inner, name))
        if inner.kind == ANY:
            node.kind = LEAF  # (whatever wraps Any judges the whole value)
        node.whole = inner.whole

    def _model(self, node: Node, schema: Any) -> None:
        cfg = schema.get("config") or node.config
        node.config = cfg
        cls = schema["cls"]
        inner = self.target(schema["schema"])
        if schema.get("custom_init"):
            node.cls = cls
            return  # __init__ may reshape the input: a leaf
        if schema.get("root_model"):
            sub = self.node(inner, cfg)
            self._adopt(node, sub)
            node.ok, node.values, node.whole = sub.ok, sub.values, sub.whole
            node.wrapper = cls
            return
        after = False
        while inner["type"] == "function-after":
            after = True
            inner = self.target(inner["schema"])
        if inner["type"] != "model-fields":
            node.cls = cls
            return  # a model validator before / wrap / plain: a leaf
        sub = self.node(inner, cfg)
        self._adopt(node, sub)
        node.cls = cls
        post_init = schema.get("post_init")
        own_post_init = post_init is not None and getattr(getattr(cls, post_init, None), "__name__", "") != "init_private_attributes"
        node.whole = after or own_post_init

    def _members(self, node: Node, schema: Any, config: Any, kind: str) -> None:
        if kind == "typed-dict":
            node.config = config = schema.get("config") or config
        config = config or {}
        fields = [(name, f) for name, f in schema["fields"].items()]
        total = schema.get("total", True)
        required = []
        for _name, f in fields:
            req = f.get("required", total) if kind == "typed-dict" else self.target(f["schema"])["type"] != "default"
            required.append(req)
        extra = schema.get("extra_behavior") or config.get("extra_fields_behavior") or "ignore"
        self._object(node, fields, required, config, extra, schema.get("extras_schema"))

    def _dataclass(self, node: Node, schema: Any) -> None:
        cfg = schema.get("config") or node.config
        node.config = cfg
        node.cls = schema["cls"]
        args = self.target(schema["schema"])
        after = False
        while args["type"] == "function-after":
            after = True
            args = self.target(args["schema"])
        if args["type"] != "dataclass-args":
            return  # a validator before / wrap / plain: a leaf
        fields = [(f["name"], f) for f in args["fields"] if f.get("init", True) is not False]
        required = [self.target(f["schema"])["type"] != "default" for _, f in fields]
        extra = args.get("extra_behavior") or (cfg or {}).get("extra_fields_behavior") or "ignore"
        self._object(node, fields, required, cfg or {}, extra, None)
        node.cls = schema["cls"]
        node.whole = after or bool(schema.get("post_init"))

    def _object(
        self, node: Node, fields: list[tuple[str, Any]], required: list[bool], config: Any, extra: str, extras_schema: Any
    ) -> None:
        by_alias = config.get("validate_by_alias", True)
        by_name = config.get("validate_by_name", False) or config.get("populate_by_name", False)
        loc_by_alias = config.get("loc_by_alias", True)
        members: dict[str, Node] = {}
        names: dict[str, str] = {}
        locs: dict[str, Any] = {}
        req: list[tuple[str, ...]] = []
        for (name, field), must in zip(fields, required, strict=True):
            alias = field.get("validation_alias")
            if self.reads_data(field["schema"]):
                child = DEFER_NODE  # a validator that may read the other fields: its object judges
            else:
                child = self.node(field["schema"], node.config)
            keys: list[str] = []
            if alias is None:
                keys.append(name)
                members[name] = child
            elif isinstance(alias, str):
                if by_alias:
                    keys.append(alias)
                    members[alias] = child
                if by_name and name != alias:
                    keys.append(name)
                    # given both, pydantic takes the alias's value: the name's waits for the object
                    members[name] = DEFER_NODE if by_alias else child
            else:  # AliasPath / AliasChoices: [[key, ...], ...]
                for path in alias if by_alias else []:
                    if path and isinstance(path[0], str):
                        keys.append(path[0])
                        members[path[0]] = DEFER_NODE
                if by_name:
                    keys.append(name)
                    members[name] = DEFER_NODE
            for k in keys:
                names.setdefault(k, name)
                if not loc_by_alias:
                    locs[k] = name
            if must and keys:
                req.append(tuple(keys))
        node.kind = OBJECT
        node.fields = members
        node.names = names
        node.locs = locs or None
        node.required = tuple(req)
        node.extra_mode = extra
        if extra == "forbid":
            node.extra = FORBID_NODE
        elif extra == "allow":
            node.extra = self.node(extras_schema, node.config) if extras_schema is not None else ANY_NODE
        else:
            node.extra = None


def tag_node(union: Node) -> Node:
    """The special node of a discriminated union's tag (its object's variant is not known)."""
    return _special(TAG, union)


def counted(list_node: Node) -> Node:
    """The special node of an item of a list with max_length."""
    return _special(COUNTED, list_node)


def root_node(node: Node) -> Node:
    return _special(TOP, node)


def plan_for(tp: Any) -> tuple[TypeAdapter[Any], Node]:
    """The adapter of ``tp`` and its plan (cached per type when the type is hashable)."""
    try:
        return _cached_plan(tp)
    except TypeError:  # an unhashable type expression (e.g. Annotated with a dict in it)
        return _compile_plan(tp)


def _compile_plan(tp: Any) -> tuple[TypeAdapter[Any], Node]:
    adapter: TypeAdapter[Any] = TypeAdapter(tp)
    schema = adapter.core_schema
    compiler = _Compiler()
    root = compiler.node(schema, schema.get("config"))
    for node in compiler.nodes.values():
        _set_lookup(node)
    root.watch_strings = any(n.max_chars is not None or n.overflow is not None for n in compiler.nodes.values())
    return adapter, root


def _set_lookup(node: Node) -> None:
    node.container = list if node.kind == LIST else dict if node.kind in (OBJECT, DICT, TAGGED) else None
    node.required_set = frozenset(k[0] for k in node.required) if node.kind == OBJECT else None
    alternatives = any(len(k) > 1 for k in node.required)
    node.plain = (
        node.kind in (OBJECT, LIST, DICT)
        and not node.whole
        and not node.special
        and node.min_len is None
        and node.max_len is None
        and not alternatives
    )
    if node.kind == OBJECT:
        node.lookup = (node.fields, node.extra, None)
    elif node.kind == LIST:
        node.lookup = (None, None, counted(node) if node.overflow is not None else node.items)
    elif node.kind == DICT:
        node.lookup = (None, None, node.items)
    elif node.kind == TAGGED:
        assert node.tag_key is not None
        node.lookup = ({node.tag_key: tag_node(node)}, PENDING_NODE, None)


_cached_plan = lru_cache(maxsize=256)(_compile_plan)
