"""Build layer: the resumable state machine that turns fragments into live Python values.

:func:`engine` is a generator; the parser binds its ``send`` as ``feed``. Its locals *are* the
scan state (h11 keeps its state in explicit attributes; here the same explicit states live in
generator locals because attribute access per token would cost more than the token itself):

* ``state`` -- what the next character may be (one of the constants below);
* ``top`` / ``stack`` -- the innermost open container and its parents: real ``dict`` / ``list``
  objects, attached to their parent the moment they open, so the partial value is always the
  same object graph, mutated in place (never rebuilt, never copied);
* ``sc[sk]`` -- the slot holding the text of an open string: its place in the partial value,
  or the private ``sbox[0]`` for a key or a hidden string; ``num`` -- an open number;
  ``carry`` -- at most 11 characters of a cut token that cannot be scanned yet (a literal such as
  ``tr``, an escape such as ``\\u00`` or a high surrogate waiting for its pair).

Cost argument (why the whole stream is O(n)): every character is read by a compiled pattern or
a C string method a bounded number of times (at most twice: ``isprintable`` on the fast path,
then a pattern), except ``carry`` (bounded by 11 characters) which is scanned again with the
next fragment. Completed text is never kept: the consumed part of each fragment
is dropped when the fragment is done, so no buffer grows with the document. An open string grows
by :func:`grow`, which takes it out of its slot so that CPython can extend it in place instead of
copying it (the copy would make long strings quadratic).

The lexical patterns and conversions come from :mod:`midstream.engine.scan`; bytes are decoded by
:mod:`midstream.engine.decode` before they get here.

:func:`python_engine` is the reference and the always-available engine. ``_cengine.c`` is the
same state machine in C, branch for branch; installs compile it when they can, and
:mod:`midstream.engine` makes it :data:`engine` (the one the parsers use). The C engine takes
its rare paths from here: :func:`located`, :func:`describe`, :func:`_expected`, :func:`_inside`,
:func:`bad_number`, the ``CLOSE`` sentinel and the error classes; it emits the same raw events
(``EV_*``, checked when it is bound).
"""

from __future__ import annotations

from ..errors import IncompleteJSONError, LimitExceededError, ParseError
from .decode import Utf8Decoder

TYPE_CHECKING = False  # (not typing's: importing typing costs more than this whole module)
if TYPE_CHECKING:
    from collections.abc import Callable, Generator
    from typing import Any, Final, Protocol

    Feed = Generator[Any, Any, None]
    Hooks = tuple[list[Any], list[Any], Callable[[], Any], list[Any]]

    class ValueHolder(Protocol):
        """Where the engine keeps the top-level value: a plain attribute, so reading it is free."""

        value: Any

        def _fail(self, err: ParseError) -> None:
            """Told of the error that stops the engine (when the engine has no ``on_fail``)."""

__all__ = [
    "ALL_KINDS",
    "CLOSE",
    "DEFAULT_LIMITS",
    "EV_CLOSE",
    "EV_GROW",
    "EV_MEMBER",
    "EV_OPEN",
    "EV_SCALAR",
    "EV_STRING",
    "Hooked",
    "python_engine",
]

# The explicit states. Strings come first so that ``state < VALUE`` means "inside a string".
STR: Final = 0  # inside a string that is a value
KSTR: Final = 1  # inside a string that is an object key
VALUE: Final = 2  # a value must follow (top level, after ':' or after ',' in an array)
FIRST_ITEM: Final = 3  # just after '[': a value or ']'
KEY: Final = 4  # after ',' in an object: a key must follow
FIRST_KEY: Final = 5  # just after '{': a key or '}'
COLON: Final = 6  # after a key: ':' must follow
AFTER: Final = 7  # after a value in a container: ',' or the closing bracket
NUM: Final = 8  # inside a number that reached the end of the previous fragment
END: Final = 9  # the single top-level value is complete: only whitespace may follow

#: Sent to the engine by ``close()``: end of input.
CLOSE: Final = object()

# The raw events: ``on_event(kind, value, key)``. ``key`` is where the value sits in the innermost
# open container (an object key, an array index) or None at top level. The events layer
# (:mod:`midstream.events`) turns them into typed events with their JSON paths; the C engine
# emits the same calls with the same numbers.
#: A container opened: ``value`` is the new (empty, live) dict or list, attached at ``key``.
EV_OPEN: Final = 0
#: An object key is complete, its value not begun yet: ``value`` and ``key`` are the key.
EV_MEMBER: Final = 1
#: A string value opened and stays open (shown strings only): ``value`` is its text so far.
EV_STRING: Final = 2
#: The open string grew: ``value`` is the text appended (never empty); ``key`` is None.
EV_GROW: Final = 3
#: A scalar is complete and attached at ``key``: a number, a literal, or a string that arrived
#: whole (or was hidden while open).
EV_SCALAR: Final = 4
#: A value that had opened (EV_OPEN or EV_STRING) is complete: ``value`` is the whole value.
EV_CLOSE: Final = 5
#: Every kind (``kinds=`` of the engines: bit ``1 << EV_*`` for each kind wanted).
ALL_KINDS: Final = 63


def _wanted(on_event: Any, kinds: int) -> tuple[Any, Any, Any]:
    """``on_event`` as the engine calls it for the kinds it tests at the call (growth, members:
    None when not wanted) and for the rest (filtered when some of the rest are not wanted)."""
    if on_event is None or not kinds & ALL_KINDS:
        return None, None, None
    grow = on_event if kinds & (1 << EV_GROW) else None
    member = on_event if kinds & (1 << EV_MEMBER) else None
    rest = kinds | (1 << EV_GROW) | (1 << EV_MEMBER)
    if rest & ALL_KINDS != ALL_KINDS:
        f = on_event

        def on_event(kind: int, value: Any, key: Any) -> None:
            if rest >> kind & 1:
                f(kind, value, key)

    return on_event, grow, member

#: The starts of a cut number after which a digit may be a second leading digit ("00", "-01").
ZERO_STARTS: Final = frozenset({"-", "0", "-0"})

#: Limits used when the caller gives none.
DEFAULT_LIMITS: Final = {
    "max_depth": 1024,  # open containers
    "max_string": 64 * 1024 * 1024,  # characters in one string or key
    "max_number": 10_000,  # characters in one number
}

_EXPECTED: Final = {
    VALUE: "a value",
    FIRST_ITEM: "a value or ']'",
    KEY: "a string key",
    FIRST_KEY: "a string key or '}'",
    COLON: "':'",
    END: "end of input (extra data after the JSON value)",
}

class _OwnerSlot:
    """The slot of an open top-level string: ``owner.value`` seen as ``slot[0]`` (see grow)."""

    __slots__ = ("owner",)

    def __init__(self, owner: ValueHolder) -> None:
        self.owner = owner

    def __getitem__(self, key: int) -> Any:
        return self.owner.value

    def __setitem__(self, key: int, value: Any) -> None:
        self.owner.value = value


def grow(slot: Any, key: Any, piece: str) -> int:
    """Append ``piece`` to the string at ``slot[key]``; return the string's new length.

    The string is taken out of its slot first, so the only reference left is this function's
    local and CPython extends it in place (amortised O(len(piece))). Appends to an open string
    go through here (the fragment-in-a-string fast path inlines it): a reference held anywhere
    else would force a full copy per append, quadratic for a long string.
    """
    text: str = slot[key]
    slot[key] = ""
    text += piece
    slot[key] = text
    return len(text)


def located(
    cls: type[ParseError], msg: str, buf: str, i: int, pos: int, nl: int, lstart: int
) -> ParseError:
    """Build an error at ``buf[i]``; ``buf`` starts at offset ``pos`` after ``nl`` newlines.

    A negative ``i`` points before ``buf`` into the current line (a token that began in an
    earlier fragment; tokens other than whitespace hold no newline).
    """
    if i < 0:
        return cls(msg, pos + i, nl + 1, pos + i - lstart + 1, buf[:20])
    line = nl + buf.count("\n", 0, i) + 1
    k = buf.rfind("\n", 0, i)
    col = i - k if k >= 0 else pos + i - lstart + 1
    return cls(msg, pos + i, line, col, buf[max(0, i - 20) : i + 20])


_LEXICON: tuple[Any, ...] | None = None


def _lexicon() -> tuple[Any, ...]:
    """The patterns and tables of :mod:`.scan` the Python engine keeps as locals, loaded once
    (importing them compiles regexes: only a parser that runs this engine pays for it)."""
    global _LEXICON
    from . import scan as s

    _LEXICON = (
        s.DIGITS, s.ESCAPES, s.HEX, s.LITERALS, s.NUMBER_CHARS, s.WS, s.is_number, s.key_colon,
        s.number_chars, s.number_prefix, s.plain_run, s.scan_number, s.skip_ws, s.string_start,
    )
    return _LEXICON


class Hooked:
    """The Python engine with ``hooks=(record, wake, after, mirror)`` (the compiled engine does the
    same inside its ``send``: a consumer such as ModelParser then pays no Python call per
    fragment).

    ``mirror`` is a list, empty or ``[target, tkey, source, skey]``: ``target[tkey]`` shows the
    open string ``source[skey]`` elsewhere (ModelParser's typed partial value); while a fragment
    is read it is let go (set to ``""``) so that the string has one reference and grows in place,
    then shown again (after an error too). A fragment read without error is appended to
    ``record`` (a bytearray or memoryview as bytes: the caller may reuse its buffer); then, if
    the list ``wake`` is not empty (the event consumer put something there), ``send`` returns
    ``after()``'s result instead of its own. An error raised by ``after()`` is the consumer's:
    the engine stays alive."""

    __slots__ = ("_after", "_gen", "_inner", "_mirror", "_record", "_wake")

    def __init__(self, gen: Feed, hooks: Hooks) -> None:
        self._gen = gen
        self._inner = gen.send
        self._record, self._wake, self._after, self._mirror = hooks

    def __iter__(self) -> Hooked:
        return self

    def __next__(self) -> Any:
        return next(self._gen)

    def send(self, msg: Any) -> Any:
        if msg is CLOSE or msg is None:  # (None: priming, as next())
            return self._inner(msg)
        m = self._mirror
        if m:
            target, key, _, _ = m
            target[key] = ""
        try:
            res = self._inner(msg)
        finally:
            if m:
                target, key, source, skey = m  # (held: the item methods may change the list)
                target[key] = source[skey]
        self._record.append(msg if isinstance(msg, (str, bytes)) else bytes(msg))
        if self._wake:
            return self._after()
        return res


def python_engine(
    owner: ValueHolder,
    on_fail: Callable[[ParseError], None] | None,
    multiple: bool = False,
    partial_strings: bool = True,
    max_depth: int = DEFAULT_LIMITS["max_depth"],
    max_string: int = DEFAULT_LIMITS["max_string"],
    max_number: int = DEFAULT_LIMITS["max_number"],
    on_event: Callable[[int, Any, Any], None] | None = None,
    trailing: bool = False,
    kinds: int = ALL_KINDS,
    hooks: Hooks | None = None,
) -> Feed | Hooked:
    """The resumable parser (the state machine is :func:`_machine`'s generator; ``hooks`` wrap it
    in :class:`Hooked`). Prime with ``next()``; then ``send(fragment)``.

    ``owner.value`` always holds the current top-level value (live, partial while incomplete).
    Each ``send`` returns the top-level values completed by that fragment (``()`` if none);
    ``send(CLOSE)`` ends the input and returns the value (or the list of values when
    ``multiple``). Errors are reported to ``on_fail`` (None: ``owner._fail``) and raised; the
    generator is then dead.

    ``on_event(kind, value, key)``, when given, is called for each raw event (``EV_*`` above):
    containers opening, keys completing, strings opening and growing, values completing. It is
    how higher layers learn what happened without walking the tree; :mod:`midstream.events`
    adds the paths. Without it the engine makes no call and builds nothing for events.

    ``trailing=True`` ignores whatever follows the (single) top-level value once it is complete,
    unread: the text after a JSON value in an LLM's answer (a closing fence, prose).

    ``kinds`` (bits ``1 << EV_*``) are the kinds of raw events ``on_event`` wants: the others are
    not emitted (a consumer that ignores strings growing and keys completing, most of the
    events, spares their calls; the compiled engine also spares making the grown text).

    ``hooks=(record, wake, after, mirror)`` keeps the text, lets the event consumer act once a
    fragment is read and mirrors the open string elsewhere (see :class:`Hooked`).
    """
    if hooks is not None and not (
        type(hooks) is tuple
        and len(hooks) == 4
        and type(hooks[0]) is list
        and type(hooks[1]) is list
        and callable(hooks[2])
        and type(hooks[3]) is list
    ):
        raise TypeError("hooks must be None or a tuple (record: list, wake: list, after: callable, mirror: list)")
    gen = _machine(owner, on_fail, multiple, partial_strings, max_depth, max_string, max_number, on_event, trailing, kinds)
    return gen if hooks is None else Hooked(gen, hooks)


def _machine(
    owner: ValueHolder,
    on_fail: Callable[[ParseError], None] | None,
    multiple: bool = False,
    partial_strings: bool = True,
    max_depth: int = DEFAULT_LIMITS["max_depth"],
    max_string: int = DEFAULT_LIMITS["max_string"],
    max_number: int = DEFAULT_LIMITS["max_number"],
    on_event: Callable[[int, Any, Any], None] | None = None,
    trailing: bool = False,
    kinds: int = ALL_KINDS,
) -> Feed:
    """The state machine of :func:`python_engine` (its arguments), a generator."""
    # The lexical patterns as locals: the loop below is the hot path of the whole library (and
    # the compiled engine, which does not need them, does not pay for compiling them).
    (
        digits, esc_map, hexdigits, lits, numchars, WS, is_number, key_colon, numch, num_start,
        plain, scan_num, ws_run, sstart,
    ) = _LEXICON or _lexicon()

    show = partial_strings
    on_event, on_grow, on_member = _wanted(on_event, kinds)
    zero_starts = ZERO_STARTS

    stack: list[Any] = []  # parents of `top`; its length is the nesting depth
    keys: list[str] = []  # for each parent, the key under which its child was opened
    memo: dict[str, str] = {}  # keys seen: repeated keys share one string (memory, as json.loads)
    top: Any = None  # innermost open container, None at top level
    is_list = False
    key: str = ""  # the member key waiting for its value (objects)
    state = VALUE
    sbox = [""]  # the slot of a key or a hidden string (one that is not in the partial value)
    sc: Any = sbox  # the open string's slot: sc[sk] (see grow)
    sk: Any = 0
    num = ""  # text of an open number cut by a fragment boundary (only this local holds it:
    # += extends it in place)
    carry = ""  # a cut literal or escape, rescanned with the next fragment
    pos = 0  # offset of buf[0] in the stream (characters)
    nl = 0  # newlines before pos
    lstart = 0  # offset where the current line starts
    decoder: Utf8Decoder | None = None
    plain_utf8 = False  # bytes can be decoded inline (see decode.py for the general case)
    out: list[Any] | None = None
    res: Any = None
    buf = ""
    i = 0
    opened = False  # the top-level value completing now had opened (EV_CLOSE, not EV_SCALAR)
    tstart = 0  # offset where the open string or key began (its opening quote)
    over: str | None = None  # a string found too long as it opened (for the error's partial)
    try:
        # What ends this fragment: False (more input follows), True (close(): end of input), or
        # the decoding error found in it, raised once the text decoded before it is read.
        closing: Any = False
        max_token = min(max_string, max_number)
        while True:
            msg = yield res
            out = None
            if type(msg) is not str:
                if type(msg) is bytes and plain_utf8:
                    # Decoding inline: no cut sequence pending and past a possible BOM.
                    try:
                        msg = msg.decode()
                    except UnicodeDecodeError:  # a cut sequence at the end, or bad bytes:
                        plain_utf8 = False  # the decoder sorts it out
                if type(msg) is str:
                    pass
                elif isinstance(msg, str):
                    msg = str.__str__(msg)  # a str subclass: its plain str (its methods unused)
                elif isinstance(msg, (bytes, bytearray, memoryview)):
                    if decoder is None:
                        decoder = Utf8Decoder()
                        decoder.start = pos == 0 and not carry and top is None and state == VALUE
                    try:
                        msg = decoder.decode(msg, pos + len(carry))
                        plain_utf8 = not decoder.pending and not decoder.start
                    except ParseError as e:
                        # The text before the bad bytes is read first (an error in it comes
                        # first); as a carry, so that no fast path takes it.
                        closing = e
                        carry += getattr(e, "good", "")
                        msg = ""
                elif msg is CLOSE:
                    closing = True
                    if decoder is not None:
                        try:
                            decoder.finish(pos + len(carry))
                        except ParseError as e:  # located where the input ends
                            at = pos + len(carry)
                            raise type(e)(e.msg, at, nl + 1, at - lstart + 1, carry[-20:]) from None
                    # A whole number ends at end of input as it would at whitespace; a cut one
                    # ("-", "1.") stays open and the input is incomplete.
                    msg = " " if state == NUM and is_number(num) else ""
                else:
                    raise TypeError(f"feed() takes str or bytes, not {type(msg).__name__}")

            # Fast path: the whole fragment lies inside a string value (most LLM deltas).
            if (
                state == STR
                and msg  # (close() arrives as "" and must take the general path)
                and not carry
                and '"' not in msg
                and "\\" not in msg
                and msg.isprintable()
            ):
                text = sc[sk]  # grow(), inline (a call costs more than the append)
                sc[sk] = ""
                text += msg
                sc[sk] = text
                if len(text) > max_string:
                    raise located(LimitExceededError, f"string longer than max_string={max_string}", msg, tstart - pos, pos, nl, lstart)
                text = ""  # no second reference: the next append must find the string alone
                pos += len(msg)
                if on_grow is not None and sc is not sbox:
                    on_grow(EV_GROW, msg, None)
                res = ()
                continue
            # Fast path: a number cut by the previous fragment goes on with digits only (unless
            # it may have a leading zero: "00", "-01" are malformed).
            if state == NUM and msg.isdigit() and msg.isascii() and num not in zero_starts:
                num += msg
                if len(num) > max_number:
                    raise located(LimitExceededError, f"number longer than max_number={max_number}", msg, len(msg) - len(num), pos, nl, lstart)
                pos += len(msg)
                res = ()
                continue

            if carry:
                buf = carry + msg
                carry = ""
            else:
                buf = msg
            n = len(buf)
            big = n > max_token  # only then can one token inside this fragment be too long
            i = 0
            while i < n:
                if state < VALUE:
                    # ---- inside a string: decode up to the closing quote or the fragment end
                    val = state == STR
                    acc = ""  # the text decoded from this fragment, appended to the slot at the end
                    # how the loop ended: True at the closing quote, False at the fragment's end
                    # (or a cut escape), else the error found: (message, where), raised once
                    # the text before it is appended (nothing received is lost)
                    fin: Any = False
                    while True:
                        j = plain(buf, i).end()
                        if j == n:
                            acc += buf[i:] if i else buf
                            i = n
                            break
                        if j > i:
                            acc += buf[i:j]
                        c = buf[j]
                        if c == '"':
                            i = j + 1
                            fin = True
                            break
                        if c != "\\":
                            fin = (f"invalid {describe(buf, j)} in string (must be escaped)", j)
                            break
                        ec = buf[j + 1 : j + 2]
                        if ec == "u":
                            h = buf[j + 2 : j + 6]
                            if len(h) == 4 and not h.strip(hexdigits):
                                cp = int(h, 16)
                                if 0xD800 <= cp <= 0xDBFF:
                                    # A high surrogate: combine with a following low one,
                                    # as json.loads does; else it stays a lone surrogate.
                                    rest = buf[j + 6 : j + 12]
                                    if len(rest) == 6:
                                        if rest[:2] == "\\u" and not rest[2:].strip(hexdigits):
                                            lo = int(rest[2:], 16)
                                            if 0xDC00 <= lo <= 0xDFFF:
                                                acc += chr(0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00))
                                                i = j + 12
                                                continue
                                    elif rest in ("", "\\") or (rest[:2] == "\\u" and not rest[2:].strip(hexdigits)):
                                        carry = buf[j:]  # wait for the possible pair
                                        i = n
                                        break
                                acc += chr(cp)
                                i = j + 6
                            elif len(h) < 4 and not h.strip(hexdigits):  # cut: its rest may follow
                                carry = buf[j:]
                                i = n
                                break
                            else:
                                fin = ("invalid \\uXXXX escape (expected 4 hex digits)", j)
                                break
                        elif ec in esc_map:
                            acc += esc_map[ec]
                            i = j + 2
                        elif not ec:
                            carry = "\\"
                            i = n
                            break
                        else:
                            fin = (f"invalid escape '\\{ec}' in string", j)
                            break
                    if acc:
                        if grow(sc, sk, acc) > max_string:
                            raise located(
                                LimitExceededError,
                                f"string longer than max_string={max_string}",
                                buf,
                                tstart - pos,
                                pos,
                                nl,
                                lstart,
                            )
                        if on_grow is not None and sc is not sbox:
                            on_grow(EV_GROW, acc, None)
                    if fin is not True:
                        if fin:
                            raise located(ParseError, fin[0], buf, fin[1], pos, nl, lstart)
                        break
                    v: Any = sc[sk]
                    if not val:
                        key = memo.setdefault(v, v)
                        state = COLON
                        if on_member is not None:
                            on_member(EV_MEMBER, key, key)
                        continue
                    if show:
                        if top is not None:
                            state = AFTER
                            if on_event is not None:
                                on_event(EV_CLOSE, v, len(top) - 1 if is_list else key)
                            continue
                        opened = True  # a top-level string that was shown open: EV_CLOSE below
                elif state == NUM:
                    # ---- a number cut by the previous fragment boundary (i == 0 here)
                    k = numch(buf, i).end() if buf[i] in numchars else i
                    num += buf[i:k]
                    start = k - len(num)  # where the number began, before this fragment
                    if k == n:  # still cut: it must still be able to become a number
                        # (this piece is not all digits, or follows a start in ZERO_STARTS: a
                        # few times per number, the digits-only fast path aside)
                        if num_start(num, 0).end() != len(num) or len(num) > max_number:
                            bad = bad_number(num, False, max_number)
                            assert bad is not None
                            raise located(bad[0], bad[1], buf, start, pos, nl, lstart)
                        i = n
                        break
                    try:
                        v, end = scan_num(num, 0)
                    except StopIteration:  # "-" without digits
                        end = -1
                    except ValueError as err:  # beyond Python's int-conversion limit
                        bad = bad_number(num, True, max_number) or (LimitExceededError, str(err))
                        raise located(bad[0], bad[1], buf, start, pos, nl, lstart) from None
                    if end != len(num) or len(num) > max_number:
                        bad = bad_number(num, True, max_number)
                        assert bad is not None
                        raise located(bad[0], bad[1], buf, start, pos, nl, lstart)
                    num = ""
                    i = k
                else:
                    c = buf[i]
                    if c in WS:
                        i += 1  # one space is the common case: no regex for it
                        if i < n and buf[i] in WS:
                            i = ws_run(buf, i).end()
                        continue
                    if state == AFTER:
                        if c == ",":
                            i += 1
                            state = VALUE if is_list else KEY
                            continue
                        if c != ("]" if is_list else "}"):
                            raise located(ParseError, f"expected {_expected(state, is_list)}, found {describe(buf, i)}", buf, i, pos, nl, lstart)
                        # ---- the container closes: it is the completed value
                        v = top
                        top = stack.pop()
                        key = keys.pop()  # the key of `v` in its parent
                        i += 1
                        if top is not None:
                            is_list = type(top) is list
                            if on_event is not None:
                                on_event(EV_CLOSE, v, len(top) - 1 if is_list else key)
                            continue  # state stays AFTER
                        is_list = False
                        opened = True
                    elif state <= FIRST_ITEM:  # ---- a value must start here
                        if c == '"':
                            m = sstart(buf, i)
                            j = m.end()
                            text = m.group(1)
                            if j - i > 1 and buf[j - 1] == '"':  # the whole string is here
                                v = text
                                if big and j - i - 2 > max_string:
                                    over = text
                                    raise located(LimitExceededError, f"string longer than max_string={max_string}", buf, i, pos, nl, lstart)
                                i = j
                            else:  # the string stays open: at the end of the fragment or an escape
                                if big and len(text) > max_string:
                                    over = text
                                    raise located(LimitExceededError, f"string longer than max_string={max_string}", buf, i, pos, nl, lstart)
                                tstart = pos + i
                                i = j
                                state = STR
                                if not show:
                                    sc = sbox
                                    sk = 0
                                elif top is None:
                                    sc = _OwnerSlot(owner)
                                    sk = 0
                                elif is_list:
                                    sc = top
                                    sk = -1
                                    top.append(text)
                                else:
                                    sc = top
                                    sk = key
                                sc[sk] = text
                                if show and on_event is not None:
                                    on_event(EV_STRING, text, None if top is None else len(top) - 1 if is_list else key)
                                continue
                        elif c == "{" or c == "[":
                            if len(stack) >= max_depth:
                                raise located(LimitExceededError, f"nesting deeper than max_depth={max_depth}", buf, i, pos, nl, lstart)
                            d: Any = [] if c == "[" else {}
                            if top is None:
                                owner.value = d
                            elif is_list:
                                top.append(d)
                            else:
                                top[key] = d
                            if on_event is not None:
                                on_event(EV_OPEN, d, None if top is None else len(top) - 1 if is_list else key)
                            stack.append(top)
                            keys.append(key)
                            top = d
                            is_list = c == "["
                            state = FIRST_ITEM if is_list else FIRST_KEY
                            i += 1
                            continue
                        elif c == "]" and state == FIRST_ITEM:
                            state = AFTER  # an empty array: closed by the AFTER branch
                            continue
                        elif c in "-0123456789":
                            # (k == i below: no number read here; the token is judged whole)
                            if c == "-" and (i + 1 == n or buf[i + 1] not in digits):
                                k = i  # "-" without a digit: cut by the fragment's end, or malformed
                            elif big and numch(buf, i).end() - i > max_number:
                                k = i  # too long, or malformed before that
                            else:
                                try:
                                    v, k = scan_num(buf, i)
                                except ValueError as err:  # an integer beyond Python's int-conversion limit
                                    k = numch(buf, i).end()
                                    if k != n and is_number(buf, i, k):
                                        raise located(LimitExceededError, str(err), buf, i, pos, nl, lstart) from None
                                    k = i  # cut (converted once it ends: ".5" may follow), or malformed
                            if k == n or buf[k] in numchars:
                                # cut by the fragment's end ("12", "1.", "-"), or malformed ("01")
                                if k != n:
                                    k = numch(buf, k).end()
                                    if k != n or n - i > max_number or num_start(buf, i).end() != n:
                                        bad = bad_number(buf[i:k], k != n, max_number)
                                        assert bad is not None
                                        raise located(bad[0], bad[1], buf, i, pos, nl, lstart)
                                num = buf[i:]
                                state = NUM
                                i = n
                                break
                            i = k
                        elif c in lits:
                            word, v = lits[c]
                            if buf.startswith(word, i):
                                i += len(word)
                            elif n - i < len(word) and word.startswith(buf[i:]):
                                carry = buf[i:]
                                i = n
                                break
                            else:
                                raise located(ParseError, f"expected {_expected(state, is_list)}, found {describe(buf, i)}", buf, i, pos, nl, lstart)
                        else:
                            raise located(ParseError, f"expected {_expected(state, is_list)}, found {describe(buf, i)}", buf, i, pos, nl, lstart)
                    elif state == KEY or state == FIRST_KEY:
                        if c == '"':
                            mk = key_colon(buf, i)  # the whole key, if its closing quote is here
                            if mk is not None:
                                key = mk.group(1)
                                key = memo.setdefault(key, key)  # one string per distinct key, as json.loads
                                if big and len(key) > max_string:
                                    raise located(LimitExceededError, f"string longer than max_string={max_string}", buf, i, pos, nl, lstart)
                                i = mk.end()
                                state = COLON if mk.lastindex == 1 else VALUE
                                if on_member is not None:
                                    on_member(EV_MEMBER, key, key)
                                continue
                            sc = sbox
                            sk = 0
                            sbox[0] = ""
                            tstart = pos + i
                            i += 1
                            state = KSTR
                            continue
                        if c == "}" and state == FIRST_KEY:
                            state = AFTER  # an empty object: closed by the AFTER branch
                            continue
                        raise located(ParseError, f"expected {_expected(state, is_list)}, found {describe(buf, i)}", buf, i, pos, nl, lstart)
                    elif state == COLON:
                        if c == ":":
                            i += 1
                            state = VALUE
                            continue
                        raise located(ParseError, f"expected ':' after an object key, found {describe(buf, i)}", buf, i, pos, nl, lstart)
                    elif state == END:
                        if trailing:  # the rest of the input is not ours (e.g. a closing fence)
                            i = n
                            break
                        raise located(ParseError, f"expected {_EXPECTED[END]}, found {describe(buf, i)}", buf, i, pos, nl, lstart)

                # ---- a value `v` is complete: attach it to its container
                if top is None:
                    owner.value = v
                    if out is None:
                        out = [v]
                    else:
                        out.append(v)
                    state = VALUE if multiple else END
                elif is_list:
                    top.append(v)
                    state = AFTER
                    if on_event is not None:
                        on_event(EV_SCALAR, v, len(top) - 1)
                    continue
                else:
                    top[key] = v
                    state = AFTER
                    if on_event is not None:
                        on_event(EV_SCALAR, v, key)
                    continue
                if on_event is not None:
                    on_event(EV_CLOSE if opened else EV_SCALAR, v, None)
                opened = False

            if "\n" in buf:
                nl += buf.count("\n")
                lstart = pos + buf.rfind("\n") + 1
            pos += n - len(carry)

            if not closing:
                res = out or ()
                continue
            if closing is not True:  # the bytes after this text were not UTF-8
                at = pos + len(carry)  # (a cut token holds no newline)
                raise type(closing)(closing.msg, at, nl + 1, at - lstart + 1, buf[-20:])
            # ---- end of input
            if carry or not (state == END or (multiple and state == VALUE and top is None)):
                what = (
                    "no JSON value"
                    if owner.value is None and top is None and state == VALUE
                    else f"input ended inside {_inside(state, carry, top)}"
                )
                raise IncompleteJSONError(what, pos, nl + 1, pos - lstart + 1, buf[-20:])
            res = (out or []) if multiple else owner.value
    except ParseError as e:
        # Nothing received is lost: a hidden string is shown, and a string too long stands cut
        # to max_string characters (the same partial value whatever the split).
        if state == STR:
            over = sc[sk]
        if over is not None:
            if len(over) > max_string:
                over = over[:max_string]
            if state == STR and show:
                sc[sk] = over
            elif top is None:
                owner.value = over
            elif is_list:
                top.append(over)
            else:
                top[key] = over
        if e.partial is None:
            e.partial = owner.value
        (owner._fail if on_fail is None else on_fail)(e)
        raise


def describe(text: str, i: int) -> str:
    """How the character at ``text[i]`` reads in an error message."""
    if i >= len(text):
        return "end of input"
    c = text[i]
    if c == "\ufeff":
        return "a byte order mark (U+FEFF)"
    if c < " " or c == "\x7f":
        return f"control character U+{ord(c):04X}"
    return repr(c)


def bad_number(text: str, ended: bool, max_number: int) -> tuple[type[ParseError], str] | None:
    """What is wrong with the number token ``text`` (number characters only), or None.

    ``ended``: a character that is not a number character follows it (else the fragment's end
    cut it and it may go on). The verdict does not depend on where the input was split: a token
    whose valid start is longer than ``max_number`` is too long; else a character past that
    start makes it malformed, and the message shows the token up to that character ("1.2." for
    "1.2.3"); a token that ended before it was a number ("1.", "-") is malformed as a whole.
    """
    from .scan import is_number, number_prefix  # (a cold path: the patterns load when needed)

    e = number_prefix(text, 0).end()
    if e > max_number:
        return LimitExceededError, f"number longer than max_number={max_number}"
    if e < len(text):
        token = text[: e + 1]
    elif ended and not is_number(text):
        token = text
    else:
        return None
    if len(token) > 40:
        token = token[:18] + "..." + token[-18:]
    return ParseError, f"invalid number {token!r}"


def _expected(state: int, is_list: bool) -> str:
    if state == AFTER:
        return "',' or ']'" if is_list else "',' or '}'"
    return _EXPECTED.get(state, "a value")


def _inside(state: int, carry: str, top: Any) -> str:
    if carry:
        return f"the token {carry!r}"
    if state < VALUE:
        return "a string" if state == STR else "an object key"
    if state == NUM:
        return "a number"
    return "an array" if isinstance(top, list) else "an object"
