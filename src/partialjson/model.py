"""``ModelParser``: pydantic validation while the JSON streams, each part as soon as it closes.

Layered on :class:`~partialjson.Parser`: the engine reports every value as it completes
(``on_close``); the plan (:mod:`partialjson.plan`) says which validator that position has; the
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

from .build import DEFAULT_LIMITS
from .errors import IncompleteJSONError
from .parser import Parser
from .plan import Node, plan_for

__all__ = ["ModelParser", "StreamValidationError", "Validated"]

T = TypeVar("T")
Path = tuple[str | int, ...]
_BOM = b"\xef\xbb\xbf"


class Validated(NamedTuple):
    """A part of the document that closed and passed validation: where it is, and its value."""

    path: Path
    value: Any


class StreamValidationError(ValueError):
    """A closed value failed validation.

    ``errors()`` is pydantic's error list with ``loc`` from the root of the document; ``path`` is
    the JSON path of the value that failed (``()`` for the whole document); ``partial`` the
    partial value received so far; ``consumed`` how many characters (or bytes) had been fed when
    the failure was found; ``line`` the JSONL line number, if any.
    """

    def __init__(
        self,
        error: ValidationError,
        path: Path = (),
        partial: Any = None,
        consumed: int = 0,
        line: int | None = None,
    ) -> None:
        self.validation_error = error
        self.path = path
        self.partial = partial
        self.consumed = consumed
        self.line = line
        self._errors: list[dict[str, Any]] = [{**e, "loc": (*path, *e["loc"])} for e in error.errors()]
        where = "/".join(map(str, path))
        if line is not None:
            where = f"line {line}" + (f" /{where}" if where else "")
        where = where or "the document"
        first = self._errors[0]
        loc = ".".join(map(str, first["loc"])) or "(root)"
        more = f" (+{len(self._errors) - 1} more)" if len(self._errors) > 1 else ""
        super().__init__(f"validation failed at {where}: {loc}: {first['msg']} [{first['type']}]{more}")

    def errors(self) -> list[dict[str, Any]]:
        return list(self._errors)

    def error_count(self) -> int:
        return len(self._errors)


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
    partialjson.model.StreamValidationError: validation failed at 1/qty: 1.qty: Input should be a valid integer, unable to parse string as an integer [int_parsing]

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
    ) -> None:
        self._adapter, self._plan = plan_for(tp)
        self._parser = Parser(
            partial_strings=partial_strings,
            max_depth=max_depth,
            max_string=max_string,
            max_number=max_number,
            on_close=self._on_close,
        )
        self._pieces: list[bytes] = []
        self._events: list[Validated] = []
        self._error: StreamValidationError | None = None  # found during the current feed()
        #: The first validation failure, once found: feed() raised it. Feeding may go on (the
        #: rest is parsed, not validated) and close() then raises pydantic's full error list.
        self.failed: StreamValidationError | None = None
        self.done: dict[Path, Any] = {}
        self.consumed = 0

    # ---- feeding ------------------------------------------------------------------------

    def feed(self, delta: str | bytes) -> list[Validated]:
        piece = delta.encode("utf-8", "surrogatepass") if isinstance(delta, str) else bytes(delta)
        self._pieces.append(piece)
        self._parser.feed(delta)
        self.consumed += len(delta)
        if self._error is not None:
            self.failed, self._error = self._error, None
            self.failed.consumed = self.consumed
            self._events = []
            raise self.failed
        events, self._events = self._events, []
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
        text = b"".join(self._pieces)
        if text.startswith(_BOM):
            text = text[3:]
        try:
            result: T = self._adapter.validate_json(text)
        except ValidationError as e:
            raise StreamValidationError(e, (), self.partial, self.consumed) from None
        return result

    def _on_close(self, value: Any, parent: Any, key: Any) -> None:
        """The engine's report of a closed value: validate it if its position allows."""
        if parent is None or self._error is not None or self.failed is not None:
            return  # the whole document is validated by close(); after a failure, nothing more
        path, node = self._locate(parent)
        if node is None:
            return
        child = node.child(key)
        if child is None:
            if node.forbid_extra and node.fields is not None:
                self._fail_extra((*path, key), value)
            return
        validator = child.validator
        if validator is None:
            return
        try:
            result = validator.validate_json(_dumps(value))
        except ValidationError as e:
            self._error = StreamValidationError(e, (*path, key), self._parser.value, self.consumed)
            return
        where = (*path, key)
        self.done[where] = result
        self._events.append(Validated(where, result))

    def _locate(self, container: Any) -> tuple[Path, Node | None]:
        """Path and plan node of an open container: walk down the open spine from the root."""
        c = self._parser.value
        node: Node | None = self._plan
        path: list[str | int] = []
        while c is not container:
            k: str | int = next(reversed(c)) if c.__class__ is dict else len(c) - 1
            path.append(k)
            node = node.child(k) if node is not None else None
            c = c[k]
        return tuple(path), node

    def _fail_extra(self, path: Path, value: Any) -> None:
        err = ValidationError.from_exception_data(
            "extra",
            [InitErrorDetails(type="extra_forbidden", loc=(path[-1],), input=value)],
        )
        self._error = StreamValidationError(err, path[:-1], self._parser.value, self.consumed)

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
        if node is None:
            return raw
        if isinstance(raw, dict):
            if node.fields is not None:
                members = {
                    node.names[k]: self._build(node.fields[k], v, (*path, k))
                    for k, v in raw.items()
                    if k in node.fields
                }
                return node.model.model_construct(**members) if node.model is not None else members
            if node.items is not None:
                return {k: self._build(node.items, v, (*path, k)) for k, v in raw.items()}
        elif isinstance(raw, list) and node.items is not None:
            return [self._build(node.items, v, (*path, i)) for i, v in enumerate(raw)]
        return raw

