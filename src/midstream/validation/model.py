"""``ModelParser``: pydantic validation while the JSON streams, each part as soon as it closes.

Layered on :class:`~midstream.Parser`: the engine reports every value as it completes
(``on_close``); the plan (:mod:`midstream.validation.plan`) says which validator that position has; the
value is validated on the spot (from its JSON, so JSON-mode rules apply exactly as in
``model_validate_json``), delivered as a :class:`Validated` event, or stops the stream with a
:class:`StreamValidationError`. ``close()`` validates the whole text with the type's
``TypeAdapter``, so the result is ``TypeAdapter(tp).validate_json(full_text)`` by construction,
and so are the errors of an invalid document.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Generic, NamedTuple, TypeVar

import orjson
from pydantic import ValidationError
from pydantic_core import InitErrorDetails

from ..engine.build import DEFAULT_LIMITS, EV_CLOSE, EV_MEMBER, EV_OPEN, EV_SCALAR, EV_STRING
from ..errors import IncompleteJSONError, StreamValidationError
from ..parser import Parser
from .plan import Node, plan_for

__all__ = ["ModelParser", "StreamValidationError", "Validated"]

T = TypeVar("T")
Path = tuple[str | int, ...]
_BOM = b"\xef\xbb\xbf"
_UNVALIDATED: Any = object()  # a part that can only be validated with its enclosing value
KEY_DONE: Any = object()  # (the former engine protocol, see ModelParser._on_raw)
STR_OPEN: Any = object()


class _Relocated(Exception):
    """A variant's validation error, with the location pydantic gives it (the tag included)."""

    def __init__(self, error: ValidationError, loc: Path) -> None:
        self.error = error
        self.loc = loc


class Validated(NamedTuple):
    """A part of the document that closed and passed validation: where it is, and its value."""

    path: Path
    value: Any


def _dumps(value: Any) -> bytes:
    """JSON text of a parsed value (exact: orjson, or the stdlib for what orjson refuses)."""
    try:
        return orjson.dumps(value)
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value).encode()  # integers beyond 64 bits, lone surrogates


class ModelParser(Generic[T]):
    """Validate a stream against ``tp`` (a ``BaseModel``, or any type pydantic can validate).

    >>> from pydantic import BaseModel
    >>> class Item(BaseModel):
    ...     name: str
    ...     qty: int
    >>> p = ModelParser(list[Item])
    >>> p.feed('[{"name": "bolt", "qty": 3}, {"na')
    [Validated(path=(0, 'name'), value='bolt'), Validated(path=(0, 'qty'), value=3), Validated(path=(0,), value=Item(name='bolt', qty=3))]
    >>> p.feed('me": "nut", "qty": "x"}]')
    Traceback (most recent call last):
      ...
    midstream.validation.model.StreamValidationError: validation failed at 1/qty: 1.qty: Input should be a valid integer, unable to parse string as an integer [int_parsing]

    ``partial`` shows a model whose ``model_construct`` fails on partial data (a
    ``model_post_init`` that expects valid fields) as the dict of its members.

    ``feed(delta)`` returns the parts completed and validated by this delta, as
    :class:`Validated` events (path, value), innermost first; it raises
    :class:`StreamValidationError` as soon as a closed value is invalid (so the caller can stop
    the stream), and ``ParseError`` for malformed JSON. Feeding may go on after a validation
    failure: the rest is parsed but not validated, and ``close()`` raises pydantic's full list. ``partial`` is the best-effort result so far (models built with
    ``model_construct`` from the validated parts and the raw partial values); ``done`` maps the
    path of every validated part to its value. ``close()`` returns the validated result.
    """

    def __init__(
        self,
        tp: type[T] | Any,
        *,
        partial_strings: bool = True,
        max_depth: int = DEFAULT_LIMITS["max_depth"],
        max_string: int = DEFAULT_LIMITS["max_string"],
        max_number: int = DEFAULT_LIMITS["max_number"],
        engine: str | None = None,
    ) -> None:
        self._adapter, self._plan = plan_for(tp)
        self._parser = Parser(
            engine=engine,
            partial_strings=partial_strings,
            max_depth=max_depth,
            max_string=max_string,
            max_number=max_number,
            _on_raw=self._on_raw,
        )
        self._containers: list[Any] = []  # the open containers, innermost last
        #: The engine this parser runs ("compiled" or "python").
        self.engine = self._parser.engine
        self._pieces: list[str | bytes] = []  # the text, kept for close() when it must validate it whole
        self._feed = self._parser.feed
        self._last: tuple[Any, Path, Path, Node | None] | None = None  # last located container
        #: an open string with a max_length: (container, key, limit, error location)
        self._open: tuple[Any, Any, int, Path] | None = None
        #: for each open object (by id), the key of the member being written: the way down the
        #: open spine (the last key in a dict is not it when a key repeats)
        self._writing: dict[int, str] = {}
        self._events: list[Validated] = []
        self._error: StreamValidationError | None = None  # found during the current feed()
        #: The first validation failure, once found: feed() raised it. Feeding may go on (the
        #: rest is parsed, not validated) and close() then raises pydantic's full error list.
        self.failed: StreamValidationError | None = None
        self.done: dict[Path, Any] = {}
        self.consumed = 0
        #: a string or key holds a lone surrogate (``"\\ud800"``): JSON that json.loads reads but
        #: pydantic's parser rejects as a whole, so close() validates the text itself
        self._lone_surrogate = False

    # ---- feeding ------------------------------------------------------------------------

    def feed(self, delta: str | bytes) -> Sequence[Validated]:
        self._pieces.append(delta)
        self._feed(delta)
        self.consumed += len(delta)
        if self._open is not None:
            self._check_open_string()
        if self._error is not None:
            self.failed, self._error = self._error, None
            self.failed.consumed = self.consumed
            self._events = []
            raise self.failed
        events = self._events
        if not events:
            return ()
        self._events = []
        return events

    def close(self) -> T:
        """The validated result: ``TypeAdapter(tp).validate_json(full_text)``.

        An invalid document raises :class:`StreamValidationError` with pydantic's full error
        list (every error, not only the first one that ``feed`` reported).
        """
        try:
            self._parser.close()
        except IncompleteJSONError as e:
            e.partial = self.partial
            raise
        if self.failed is None and () in self.done and not self._lone_surrogate:
            result: T = self.done[()]  # validated as it closed: part by part, then as a whole
            return result
        if all(piece.__class__ is str for piece in self._pieces):
            text: str | bytes = "".join(self._pieces)  # type: ignore[arg-type]
        else:
            text = b"".join(
                p.encode("utf-8", "surrogatepass") if isinstance(p, str) else bytes(p) for p in self._pieces
            )
            if text.startswith(_BOM):
                text = text[3:]
        try:
            result = self._adapter.validate_json(text)
        except ValidationError as e:
            raise StreamValidationError(e, (), self.partial, self.consumed) from None
        return result

    def _on_raw(self, kind: int, value: Any, key: Any) -> None:
        """The engine's raw events, as (value, parent, key) reports of closed values."""
        stack = self._containers
        if kind == EV_OPEN:
            stack.append(value)
            return
        top = stack[-1] if stack else None
        if kind == EV_MEMBER:
            self._on_close(KEY_DONE, top, key)
        elif kind == EV_STRING:
            self._on_close(STR_OPEN, top, key)
        elif kind == EV_SCALAR:
            self._on_close(value, top, key)
        elif kind == EV_CLOSE:
            if value.__class__ is dict or value.__class__ is list:
                stack.pop()
                top = stack[-1] if stack else None
            self._on_close(value, top, key)

    def _on_close(self, value: Any, parent: Any, key: Any) -> None:
        """The engine's report of a closed value: validate it, once, if its position allows."""
        if self._error is not None or self.failed is not None:
            return  # after a failure nothing more is validated (close() reports everything)
        text = key if value is KEY_DONE else value
        if text.__class__ is str and not text.isascii() and not self._lone_surrogate:
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:  # (our decoder pairs surrogates: one left is alone)
                self._lone_surrogate = True
        if parent is None:
            if value is STR_OPEN or value is KEY_DONE:
                return  # a top-level string: its length limit is checked when it closes
            node: Node | None = self._plan
            where: Path = ()
            loc: Path = ()
        else:
            # The way down the open spine, kept for every object, planned or not.
            if value is KEY_DONE:
                self._writing[id(parent)] = key
            elif value.__class__ is dict:
                self._writing.pop(id(value), None)  # it has closed
            path, ploc, parent_node, union = self._locate(parent)
            if value is STR_OPEN and union is not None and key == union.discriminator:
                return  # the tag is still being written: "a" may yet become "ab"
            if union is not None and key == union.discriminator and value is not KEY_DONE and parent_node is not None:
                self._catch_up(parent, path, ploc, parent_node, key)
            if parent_node is None:
                return
            node = parent_node.child(key)
            self._open = None  # whatever string was open has closed
            if value is STR_OPEN:
                if node is not None and node.max_chars is not None:
                    self._open = (parent, key, node.max_chars, (*ploc, key))
                return
            if value is KEY_DONE:  # a key is complete: an unknown one fails at once under "forbid"
                if parent_node.forbids(key):
                    self._fail("extra_forbidden", ploc, None, at=(key,))
                return
            where = (*path, key)
            loc = (*ploc, key)
            if node is None:
                return
            limit = parent_node.max_items
            if limit is not None and parent.__class__ is list and len(parent) > limit:
                # a list already longer than its max_length can only get longer
                self._fail("too_long", ploc, parent, {"field_type": "List", "max_length": limit, "actual_length": len(parent)})
                return
            if value.__class__ in (dict, list) and self._last is not None and self._last[0] is value:
                self._last = None  # a container that closed is no longer open
        self._check(node, value, where, loc)

    def _check(self, node: Node | None, value: Any, where: Path, loc: Path) -> bool:
        """Validate one closed part; record its event, or the failure (then return False)."""
        try:
            result = self._validate(node, value, where, loc)
        except ValidationError as e:
            self._error = StreamValidationError(e, loc, self._parser.value, self.consumed)
            return False
        except _Relocated as r:
            self._error = StreamValidationError(r.error, r.loc, self._parser.value, self.consumed)
            return False
        if result is not _UNVALIDATED:
            self.done[where] = result
            self._events.append(Validated(where, result))
        return True

    def _catch_up(self, obj: dict[str, Any], path: Path, loc: Path, variant: Node, tag_key: str) -> None:
        """The discriminator has just closed: validate the members that closed before it."""
        for k, v in obj.items():
            if k == tag_key or (*path, k) in self.done or self._error is not None:
                continue
            child = variant.child(k)
            if child is None:
                if variant.forbids(k):
                    self._fail("extra_forbidden", loc, v, at=(k,))
                continue
            if not self._check(child, v, (*path, k), (*loc, k)):
                return

    def _validate(self, node: Node | None, value: Any, where: Path, loc: Path) -> Any:
        """The validated value at ``node``: as parsed (a plain leaf), from its validated parts
        (a transparent container), or from its JSON; ``_UNVALIDATED`` if it can't be alone."""
        if node is None:
            return _UNVALIDATED
        if node.variants is not None:  # a discriminated union: its variant, if it is known
            variant = node.variant(value)
            if variant is not None and variant.shell is not None:
                try:
                    result = self._validate(variant, value, where, loc)
                except ValidationError as e:  # pydantic names the variant in the location
                    raise _Relocated(e, (*loc, value[node.discriminator])) from None
                if result is not _UNVALIDATED:
                    return result
        trivial = node.trivial
        if trivial is not None and type(value) in trivial:
            return value
        shell = node.shell
        if shell is not None:
            done = self.done
            parts: Any = None
            if value.__class__ is list and node.items is not None:
                parts = [done.get((*where, i), _UNVALIDATED) for i in range(len(value))]
                if _UNVALIDATED in parts:
                    parts = None
            elif value.__class__ is dict:
                parts = {}
                for k, v in value.items():
                    part = done.get((*where, k), _UNVALIDATED)
                    if part is _UNVALIDATED:
                        if node.fields is None or k in node.fields or k in node.shadowed:
                            parts = None  # a part that was not validated alone
                            break
                        part = v  # an unknown key: as received (extra)
                    parts[k] = part
            if parts is not None:
                return shell.validate_python(parts)
        validator = node.validator
        if validator is None:
            return _UNVALIDATED
        return validator.validate_json(_dumps(value))

    def _locate(self, container: Any) -> tuple[Path, Path, Node | None, Node | None]:
        """JSON path, error location and plan node of an open container, and the discriminated
        union it is an object of (if it is one).

        Walks down the open spine from the root (the last member of each open container), but
        consecutive reports mostly come from one container, so the last answer is kept.
        """
        last = self._last
        if last is not None and last[0] is container:
            return last[1], last[2], last[3], None
        c = self._parser.value
        node: Node | None = self._plan
        path: list[str | int] = []
        loc: list[str | int] = []
        settled = True  # no union on the way whose variant is still unknown
        union = None
        while True:
            union = node if node is not None and node.variants is not None else None
            if union is not None:
                variant = union.variant(c)
                if variant is not None:
                    loc.append(c[union.discriminator])
                else:
                    settled = False
                node = variant
            if c is container:
                break
            if c.__class__ is dict:
                k: str | int = self._writing[id(c)]
            elif c.__class__ is list and c:
                k = len(c) - 1
            else:  # cannot happen: the container is on the open spine
                return tuple(path), tuple(loc), None, None
            path.append(k)
            loc.append(k)
            node = node.child(k) if node is not None else None
            c = c[k]
        found = (tuple(path), tuple(loc), node)
        if settled and union is None:
            self._last = (container, *found)
        return (*found, union)

    def _check_open_string(self) -> None:
        """The open string is already over its max_length: it can only get longer."""
        assert self._open is not None
        parent, key, limit, loc = self._open
        text = parent[key]
        if len(text) > limit and self._error is None and self.failed is None:
            self._fail("string_too_long", loc, text, {"max_length": limit})
            self._open = None

    def _fail(
        self, kind: str, path: Path, value: Any, ctx: dict[str, Any] | None = None, at: Path = ()
    ) -> None:
        """Record a failure found before pydantic ran, as pydantic reports it: ``kind`` at
        ``path + at`` (``path``: the part that failed; ``at``: the error's place inside it)."""
        detail = InitErrorDetails(type=kind, loc=at, input=value)
        if ctx is not None:
            detail["ctx"] = ctx
        err = ValidationError.from_exception_data(kind, [detail])
        self._error = StreamValidationError(err, path, self._parser.value, self.consumed)

    # ---- the partial result ---------------------------------------------------------------

    @property
    def partial(self) -> Any:
        """Best-effort result so far: validated parts as validated, the rest as received."""
        return self._build(self._plan, self._parser.value, ())

    def is_final(self, path: Sequence[str | int]) -> bool:
        """Whether the part at ``path`` has closed and passed validation."""
        return tuple(path) in self.done

    def _build(self, node: Node | None, raw: Any, path: Path) -> Any:
        if path in self.done:
            return self.done[path]
        if node is not None and node.variants is not None:
            node = node.variant(raw) or node
        if node is None:
            return raw
        if isinstance(raw, dict):
            if node.fields is not None:
                fields, shadowed = node.fields, node.shadowed
                members = {
                    node.names[k]: self._build(fields[k], v, (*path, k))
                    for k, v in raw.items()
                    if k in fields
                }
                for k, alias in shadowed.items():  # a name whose alias is absent (so far)
                    if k in raw and alias not in raw:
                        members[node.names[k]] = self._build(fields[alias], raw[k], (*path, k))
                if node.model is None:
                    return members
                try:
                    return node.model.model_construct(**members)
                except Exception:  # e.g. a model_post_init that expects valid data
                    return members  # the partial result is best effort: never an error
            if node.items is not None:
                return {k: self._build(node.items, v, (*path, k)) for k, v in raw.items()}
        elif isinstance(raw, list) and node.items is not None:
            return [self._build(node.items, v, (*path, i)) for i, v in enumerate(raw)]
        return raw

