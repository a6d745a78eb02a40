/* The engine of midstream.engine.build, in C: the same state machine, driven character by character.
 *
 * build.py is the reference and the always-available fallback; this file is its accelerator and
 * follows it branch for branch (the states, the slot of an open string, the carry of a cut token,
 * the order of the checks), so both pass the same test suite and give the same values, events and
 * errors. What stays in Python is what is rare: error messages and their location (build.located,
 * describe, _expected, _inside, bad_number), the incremental UTF-8 decoder for cut sequences, and
 * the CLOSE sentinel; bind() takes them from the Python engine module once (and checks that its
 * EV_* event numbers are the ones below).
 *
 * engine(owner, on_fail, multiple, partial_strings, max_depth, max_string, max_number, on_event, trailing, kinds,
 *        hooks)
 * returns an object that behaves as build.engine's generator: prime it with next(), then send()
 * fragments; send(CLOSE) ends the input. After an exception it is dead (StopIteration), as a
 * generator would be. on_fail None: owner._fail is called instead (a parser then holds no bound
 * method for it).
 *
 * Cost: each character is read once by the scan loop (a string's plain run, a number or a
 * literal are read again only when a fragment boundary cut them: at most the carry's 11
 * characters, or a cut number's pieces once when it completes). An open string grows in place
 * (grow(): it is taken out of its slot so that it is the only reference).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

enum { STR, KSTR, VALUE, FIRST_ITEM, KEY, FIRST_KEY, COLON, AFTER, NUM, END };
enum { SLOT_BOX, SLOT_OWNER, SLOT_LIST, SLOT_DICT };
/* An engine's phase: not primed yet; running (HOOKED: with hooks); reading a fragment (a send from
   inside it, e.g. from an event consumer, is refused: ValueError, as a generator's); dead after an
   exception (StopIteration, as a generator). */
enum { PHASE_NEW, PHASE_RUNNING, PHASE_HOOKED, PHASE_READING, PHASE_DEAD };
/* The raw events (build.EV_*): on_event(kind, value, key). */
enum { EV_OPEN, EV_MEMBER, EV_STRING, EV_GROW, EV_SCALAR, EV_CLOSE, EV_COUNT };
#define ALL_KINDS ((1 << EV_COUNT) - 1)
#define GROW_WANTED (1 << EV_GROW)
#define MEMBER_WANTED (1 << EV_MEMBER)
static const char *const EV_NAMES[EV_COUNT] = {"EV_OPEN", "EV_MEMBER", "EV_STRING", "EV_GROW", "EV_SCALAR", "EV_CLOSE"};

/* Bound from the Python engine module by bind(). */
static PyObject *CLOSE, *located_fn, *describe_fn, *expected_fn, *inside_fn, *bad_number_fn;
static PyObject *ParseErrorT, *LimitT, *IncompleteT, *DecoderT, *END_EXPECTED;
/* Interned names and constants. */
static PyObject *s_value, *s_partial, *s_pending, *s_start, *s_decode, *s_finish, *s_msg, *s_good, *s_fail;
static PyObject *EMPTY, *SPACE, *ESC[128], *KIND[EV_COUNT];

#define IS_WS(c) ((c) == ' ' || (c) == '\n' || (c) == '\r' || (c) == '\t')
#define IS_DIGIT(c) ((c) >= '0' && (c) <= '9')
#define IS_NUMCH(c) (IS_DIGIT(c) || (c) == '-' || (c) == '+' || (c) == '.' || (c) == 'e' || (c) == 'E')
#define IS_HEX(c) (IS_DIGIT(c) || ((c) >= 'a' && (c) <= 'f') || ((c) >= 'A' && (c) <= 'F'))

typedef struct {
    PyObject_HEAD
    /* What a delta inside a string reads comes first: the object's first cache line (the type
       pads the object so that its block is whole cache lines, see ENGINE_SIZE; at 10,000 open
       parsers every line an engine touches is a cache miss). The rare fields follow. */
    char state;
    char slot;       /* where the open string lives (SLOT_*): sc[sk], or box */
    char is_list;
    char events;     /* the kinds of raw events wanted (bit 1 << EV_*, at most 63), 0 without on_event */
    char phase;      /* PHASE_*: where the engine is in its life (the test every send makes, here in
                        the first cache line) */
    char cut;        /* carry is not NULL */
    char closing, plain_utf8;
    Py_ssize_t alen; /* characters in acc */
    PyObject *sc, *sk;
    Py_ssize_t pos;
    Py_ssize_t max_string;
    PyObject *carry; /* a cut literal or escape (str), or NULL */
    Py_UCS4 *acc;    /* decoded text of the open string not yet appended to its slot */
    Py_ssize_t acap;
    PyObject *box, *owner;
    Py_ssize_t nl, lstart;
    PyObject *top;   /* innermost open container (NULL at top level) */
    PyObject *key;   /* the member key waiting for its value */
    Py_ssize_t tstart; /* offset where the open string or key began (its opening quote) */
    /* the open containers: stk[d] is the parent of the container opened under key kstk[d] */
    PyObject **stk, **kstk;
    Py_ssize_t depth, cap;
    char *num;       /* an open number cut by fragment boundaries (ASCII) */
    Py_ssize_t nlen, ncap;
    PyObject *memo;  /* keys seen: one string per distinct key, as json.loads (made at the first key) */
    PyObject *on_fail, *on_event;  /* on_fail NULL: owner._fail */
    char multiple, show, trailing;
    Py_ssize_t max_depth, max_number;
    PyObject *over;  /* a string found too long as it opened (for the error's partial), or NULL */
    PyObject *decoder;
    PyObject *hooks; /* (record, wake, after, mirror), or NULL: see Engine_send */
} Engine;

/* ---------------------------------------------------------------- helpers */

static int acc_reserve(Engine *e, Py_ssize_t more) {
    if (e->alen + more <= e->acap) return 0;
    Py_ssize_t cap = (e->alen + more) * 2 + 64;
    Py_UCS4 *p = PyMem_Realloc(e->acc, (size_t)cap * sizeof(Py_UCS4));
    if (!p) { PyErr_NoMemory(); return -1; }
    e->acc = p;
    e->acap = cap;
    return 0;
}

static int acc_run(Engine *e, int kind, const void *data, Py_ssize_t i, Py_ssize_t j) {
    if (acc_reserve(e, j - i) < 0) return -1;
    Py_UCS4 *p = e->acc + e->alen;
    for (Py_ssize_t k = i; k < j; k++) *p++ = PyUnicode_READ(kind, data, k);
    e->alen += j - i;
    return 0;
}

static int acc_char(Engine *e, Py_UCS4 c) {
    if (acc_reserve(e, 1) < 0) return -1;
    e->acc[e->alen++] = c;
    return 0;
}

/* The slot's text (a new reference). */
static PyObject *slot_get(Engine *e) {
    PyObject *t;
    switch (e->slot) {
    case SLOT_BOX: t = e->box; break;
    case SLOT_OWNER: return PyObject_GetAttr(e->owner, s_value);
    case SLOT_LIST: {
        Py_ssize_t n = PyList_GET_SIZE(e->sc);
        if (n == 0) { PyErr_SetString(PyExc_RuntimeError, "partial value changed under the parser"); return NULL; }
        t = PyList_GET_ITEM(e->sc, n - 1);
        break;
    }
    default:
        t = PyDict_GetItemWithError(e->sc, e->sk);
        if (!t) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_RuntimeError, "partial value changed under the parser");
            return NULL;
        }
    }
    Py_INCREF(t);
    return t;
}

/* Put `t` in the slot (steals the reference). */
static int slot_put(Engine *e, PyObject *t) {
    int r = 0;
    switch (e->slot) {
    case SLOT_BOX: Py_XSETREF(e->box, t); return 0;
    case SLOT_OWNER: r = PyObject_SetAttr(e->owner, s_value, t); break;
    case SLOT_LIST: {
        Py_ssize_t n = PyList_GET_SIZE(e->sc);
        if (n == 0) { Py_DECREF(t); PyErr_SetString(PyExc_RuntimeError, "partial value changed under the parser"); return -1; }
        PyObject *old = PyList_GET_ITEM(e->sc, n - 1);
        PyList_SET_ITEM(e->sc, n - 1, t);
        Py_XDECREF(old);
        return 0;
    }
    default: r = PyDict_SetItem(e->sc, e->sk, t);
    }
    Py_DECREF(t);
    return r;
}

/* Append `piece` to the open string in place (see build.grow); the new length, or -1. */
static Py_ssize_t grow(Engine *e, PyObject *piece) {
    PyObject *t = slot_get(e);
    if (!t) return -1;
    if (!PyUnicode_Check(t)) {
        Py_DECREF(t);
        PyErr_SetString(PyExc_RuntimeError, "partial value changed under the parser");
        return -1;
    }
    /* leave the slot holding "" so that `t` is the only reference and extends in place */
    Py_INCREF(EMPTY);
    if (slot_put(e, EMPTY) < 0) { Py_DECREF(t); return -1; }
    PyUnicode_Append(&t, piece);
    if (!t) return -1;
    Py_ssize_t len = PyUnicode_GET_LENGTH(t);
    if (slot_put(e, t) < 0) return -1;
    return len;
}

/* The decoded text held in acc, appended to the slot; the new length (0 if nothing held). */
static Py_ssize_t flush(Engine *e) {
    if (e->alen == 0) return 0;
    PyObject *piece = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, e->acc, e->alen);
    e->alen = 0;
    if (!piece) return -1;
    Py_ssize_t r = grow(e, piece);
    Py_DECREF(piece);
    return r;
}

/* The longest RFC 8259 number at i (json.scanner's rule): its end, or -1 when none starts there. */
static Py_ssize_t match_number(int kind, const void *data, Py_ssize_t i, Py_ssize_t n, int *is_float) {
    Py_ssize_t k = i;
    Py_UCS4 c;
    *is_float = 0;
    if (k < n && PyUnicode_READ(kind, data, k) == '-') k++;
    if (k >= n) return -1;
    c = PyUnicode_READ(kind, data, k);
    if (c == '0') k++;
    else if (c >= '1' && c <= '9') {
        k++;
        while (k < n && IS_DIGIT(PyUnicode_READ(kind, data, k))) k++;
    } else return -1;
    if (k + 1 < n && PyUnicode_READ(kind, data, k) == '.' && IS_DIGIT(PyUnicode_READ(kind, data, k + 1))) {
        k += 2;
        while (k < n && IS_DIGIT(PyUnicode_READ(kind, data, k))) k++;
        *is_float = 1;
    }
    if (k < n && (PyUnicode_READ(kind, data, k) == 'e' || PyUnicode_READ(kind, data, k) == 'E')) {
        Py_ssize_t x = k + 1;
        if (x < n && (PyUnicode_READ(kind, data, x) == '-' || PyUnicode_READ(kind, data, x) == '+')) x++;
        Py_ssize_t d = x;
        while (x < n && IS_DIGIT(PyUnicode_READ(kind, data, x))) x++;
        if (x > d) { k = x; *is_float = 1; }
    }
    return k;
}

/* The value of the number text s[0:len] (ASCII, matched by match_number): json.loads' value. */
static PyObject *number_value(const char *s, Py_ssize_t len, int is_float) {
    if (is_float) {
        double d = PyOS_string_to_double(s, NULL, NULL);  /* overflow -> +-inf, as float() */
        if (d == -1.0 && PyErr_Occurred()) return NULL;
        return PyFloat_FromDouble(d);
    }
    if (len <= 18) {
        long long x = 0;
        Py_ssize_t k = s[0] == '-';
        for (; k < len; k++) x = x * 10 + (s[k] - '0');
        return PyLong_FromLongLong(s[0] == '-' ? -x : x);
    }
    return PyLong_FromString(s, NULL, 10);  /* ValueError past sys.get_int_max_str_digits() */
}

static PyObject *number_at(int kind, const void *data, Py_ssize_t i, Py_ssize_t k, int is_float) {
    char small[64];
    Py_ssize_t len = k - i;
    char *s = len < 64 ? small : PyMem_Malloc((size_t)len + 1);
    if (!s) return PyErr_NoMemory();
    for (Py_ssize_t j = 0; j < len; j++) s[j] = (char)PyUnicode_READ(kind, data, i + j);
    s[len] = 0;
    PyObject *v = number_value(s, len, is_float);
    if (s != small) PyMem_Free(s);
    return v;
}

/* End of the run of plain string characters from j: up to a quote, a backslash or a control
   character (build.py: scan.plain_run). */
static inline Py_ssize_t plain_end(int kind, const void *data, Py_ssize_t j, Py_ssize_t n) {
    while (j < n) {
        Py_UCS4 c = PyUnicode_READ(kind, data, j);
        if (c == '"' || c == '\\' || c < 0x20) break;
        j++;
    }
    return j;
}

/* End of the run of hex digits from h (before `end`); their value in *value. */
static inline Py_ssize_t hex_run(int kind, const void *data, Py_ssize_t h, Py_ssize_t end, Py_UCS4 *value) {
    Py_UCS4 v = 0;
    while (h < end) {
        Py_UCS4 x = PyUnicode_READ(kind, data, h);
        if (!IS_HEX(x)) break;
        v = v * 16 + (x <= '9' ? x - '0' : (x | 0x20) - 'a' + 10);
        h++;
    }
    *value = v;
    return h;
}

/* End of the run of number characters from k. */
static Py_ssize_t numch_end(int kind, const void *data, Py_ssize_t k, Py_ssize_t n) {
    while (k < n && IS_NUMCH(PyUnicode_READ(kind, data, k))) k++;
    return k;
}

/* End of the longest start of a number at i (before end) that can still become a number: "-",
   "1.", "1e+" and every whole number (build.py: scan.number_prefix). */
static Py_ssize_t num_prefix_end(int kind, const void *data, Py_ssize_t i, Py_ssize_t end) {
#define AT(x) PyUnicode_READ(kind, data, x)
    Py_ssize_t k = i;
    if (k < end && AT(k) == '-') k++;
    if (k >= end) return k;
    if (AT(k) == '0') k++;
    else if (AT(k) >= '1' && AT(k) <= '9') {
        k++;
        while (k < end && IS_DIGIT(AT(k))) k++;
    } else return k;
    if (k < end && AT(k) == '.') {
        k++;
        if (k >= end || !IS_DIGIT(AT(k))) return k;
        while (k < end && IS_DIGIT(AT(k))) k++;
    }
    if (k < end && (AT(k) == 'e' || AT(k) == 'E')) {
        k++;
        if (k < end && (AT(k) == '+' || AT(k) == '-')) k++;
        while (k < end && IS_DIGIT(AT(k))) k++;
    }
    return k;
#undef AT
}

static int num_append(Engine *e, int kind, const void *data, Py_ssize_t i, Py_ssize_t k) {
    if (e->nlen + (k - i) + 1 > e->ncap) {
        Py_ssize_t cap = (e->nlen + (k - i) + 1) * 2 + 32;
        char *p = PyMem_Realloc(e->num, (size_t)cap);
        if (!p) { PyErr_NoMemory(); return -1; }
        e->num = p;
        e->ncap = cap;
    }
    for (Py_ssize_t j = i; j < k; j++) e->num[e->nlen++] = (char)PyUnicode_READ(kind, data, j);
    e->num[e->nlen] = 0;
    return 0;
}

/* ---------------------------------------------------------------- the fragment */

/* The fragment being scanned: a str, or ASCII bytes read in place (the str is then made only
   if an error message needs it). */
typedef struct {
    PyObject *str;      /* owned; NULL for bytes not yet needed as str */
    const char *bytes;  /* the ASCII bytes, when str is NULL */
    Py_ssize_t n;
} Src;

static PyObject *src_str(Src *b) {  /* borrowed */
    if (!b->str) b->str = PyUnicode_DecodeASCII(b->bytes, b->n, NULL);
    return b->str;
}

/* The text b[i:j] as a new str. */
static PyObject *sub(Src *b, Py_ssize_t i, Py_ssize_t j) {
    if (b->str) return PyUnicode_Substring(b->str, i, j);
    return PyUnicode_FromKindAndData(PyUnicode_1BYTE_KIND, b->bytes + i, j - i);
}

/* ---------------------------------------------------------------- errors */

/* Raise cls(msg) located at buf[i] (build.located); steals msg. Always returns NULL. */
static PyObject *fail_at(Engine *e, PyObject *cls, PyObject *msg, Src *buf, Py_ssize_t i) {
    if (!msg) return NULL;
    PyObject *text = src_str(buf);
    if (!text) { Py_DECREF(msg); return NULL; }
    PyObject *exc = PyObject_CallFunction(located_fn, "OOOnnnn", cls, msg, text, i, e->pos, e->nl, e->lstart);
    Py_DECREF(msg);
    if (!exc) return NULL;
    PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
    Py_DECREF(exc);
    return NULL;
}

static PyObject *describe(Src *buf, Py_ssize_t i) {
    PyObject *text = src_str(buf);
    return text ? PyObject_CallFunction(describe_fn, "On", text, i) : NULL;
}

/* A ParseError at buf[i] whose message is `fmt` with buf[i] described in its one %U. */
static PyObject *fail_describing(Engine *e, const char *fmt, Src *buf, Py_ssize_t i) {
    PyObject *found = describe(buf, i);
    if (!found) return NULL;
    PyObject *msg = PyUnicode_FromFormat(fmt, found);
    Py_DECREF(found);
    return fail_at(e, ParseErrorT, msg, buf, i);
}

/* "expected <what the state allows>, found <the character>" */
static PyObject *fail_expected(Engine *e, Src *buf, Py_ssize_t i) {
    PyObject *what, *found, *msg;
    if (e->state == END) { what = END_EXPECTED; Py_INCREF(what); }
    else what = PyObject_CallFunction(expected_fn, "iO", e->state, e->is_list ? Py_True : Py_False);
    if (!what) return NULL;
    found = describe(buf, i);
    if (!found) { Py_DECREF(what); return NULL; }
    msg = PyUnicode_FromFormat("expected %U, found %U", what, found);
    Py_DECREF(what);
    Py_DECREF(found);
    return fail_at(e, ParseErrorT, msg, buf, i);
}

/* The error of the number token `text` (stolen) that begins at buf[at]: build.bad_number's
   verdict (too long, or malformed: the message shows the token up to where it went wrong). */
static PyObject *fail_number(Engine *e, Src *buf, Py_ssize_t at, PyObject *text, int ended) {
    if (!text) return NULL;
    PyObject *r = PyObject_CallFunction(bad_number_fn, "Oin", text, ended, e->max_number);
    Py_DECREF(text);
    if (!r) return NULL;
    if (!PyTuple_Check(r) || PyTuple_GET_SIZE(r) != 2) {
        Py_DECREF(r);
        PyErr_SetString(PyExc_SystemError, "bad_number() found nothing wrong with a bad number");
        return NULL;
    }
    PyObject *msg = PyTuple_GET_ITEM(r, 1);
    Py_INCREF(msg);
    fail_at(e, PyTuple_GET_ITEM(r, 0), msg, buf, at);
    Py_DECREF(r);
    return NULL;
}

/* The ParseError being raised (by the UTF-8 decoder) raised again, located where the text read
   so far ends; `excerpt` (stolen) is its end. Always returns NULL. */
static PyObject *relocate(Engine *e, PyObject *excerpt) {
    PyObject *t, *v, *tb, *exc = NULL;
    PyErr_Fetch(&t, &v, &tb);
    PyErr_NormalizeException(&t, &v, &tb);
    PyObject *msg = v && excerpt ? PyObject_GetAttr(v, s_msg) : NULL;
    if (msg) {
        Py_ssize_t at = e->pos + (e->carry ? PyUnicode_GET_LENGTH(e->carry) : 0);  /* (a cut token holds no newline) */
        exc = PyObject_CallFunction((PyObject *)Py_TYPE(v), "OnnnO", msg, at, e->nl + 1, at - e->lstart + 1, excerpt);
        Py_DECREF(msg);
    }
    if (exc) {
        PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
        Py_DECREF(exc);
    } else if (!PyErr_Occurred() && t) {
        PyErr_Restore(t, v, tb);  /* (nothing to relocate it with) */
        t = v = tb = NULL;
    }
    Py_XDECREF(t);
    Py_XDECREF(v);
    Py_XDECREF(tb);
    Py_XDECREF(excerpt);
    return NULL;
}

/* A ValueError from int() (beyond the int-conversion limit) becomes LimitExceededError. */
static PyObject *fail_conversion(Engine *e, Src *buf, Py_ssize_t i) {
    if (!PyErr_ExceptionMatches(PyExc_ValueError)) return NULL;
    PyObject *t, *v, *tb;
    PyErr_Fetch(&t, &v, &tb);
    PyErr_NormalizeException(&t, &v, &tb);
    PyObject *msg = v ? PyObject_Str(v) : NULL;
    Py_XDECREF(t);
    Py_XDECREF(v);
    Py_XDECREF(tb);
    return fail_at(e, LimitT, msg, buf, i);
}

#define LIMIT(fmt, lim, b, at) fail_at(e, LimitT, PyUnicode_FromFormat(fmt, (Py_ssize_t)(lim)), b, at)
#define STRING_LIMIT(b, at) LIMIT("string longer than max_string=%zd", e->max_string, b, at)
#define NUMBER_LIMIT(b, at) LIMIT("number longer than max_number=%zd", e->max_number, b, at)

/* ---------------------------------------------------------------- events */

/* on_event(kind, v, where) (where NULL: None); only called when there is an on_event. */
static int emit(Engine *e, int kind, PyObject *v, PyObject *where) {
    if (!(e->events >> kind & 1)) return 0;  /* a kind the consumer did not ask for */
    PyObject *args[3] = {KIND[kind], v, where ? where : Py_None};
    PyObject *r = PyObject_Vectorcall(e->on_event, args, 3, NULL);
    if (!r) return -1;
    Py_DECREF(r);
    return 0;
}

/* on_event(kind, v, where v sits: its key or index in top, None at top level) */
static int emit_at(Engine *e, int kind, PyObject *v) {
    if (!e->top || !e->is_list) return emit(e, kind, v, e->top ? e->key : NULL);
    PyObject *idx = PyLong_FromSsize_t(PyList_GET_SIZE(e->top) - 1);
    if (!idx) return -1;
    int r = emit(e, kind, v, idx);
    Py_DECREF(idx);
    return r;
}

/* The same, when events of this kind are wanted (one test when they are not: no index made). */
static inline int emit_here(Engine *e, int kind, PyObject *v) { return e->events >> kind & 1 ? emit_at(e, kind, v) : 0; }

/* ---------------------------------------------------------------- the state machine */

/* A completed top-level value: the owner's value, one of the results. `opened`: it had opened
   (a container, or a string shown open), so it closes (EV_CLOSE) rather than arrives (EV_SCALAR). */
static int complete_top(Engine *e, PyObject *v, PyObject **out, int opened) {
    if (PyObject_SetAttr(e->owner, s_value, v) < 0) return -1;
    if (!*out && !(*out = PyList_New(0))) return -1;
    if (PyList_Append(*out, v) < 0) return -1;
    e->state = e->multiple ? VALUE : END;
    return e->events ? emit(e, opened ? EV_CLOSE : EV_SCALAR, v, NULL) : 0;
}

/* A completed value `v` (stolen): attached to its container, or a completed top-level value. */
static int attach(Engine *e, PyObject *v, PyObject **out, int opened) {
    int r;
    if (!v) return -1;
    if (!e->top) r = complete_top(e, v, out, opened);
    else {
        r = e->is_list ? PyList_Append(e->top, v) : PyDict_SetItem(e->top, e->key, v);
        e->state = AFTER;
        if (r == 0) r = emit_here(e, EV_SCALAR, v);
    }
    Py_DECREF(v);
    return r;
}

/* The end of a pass of the string loop that appended text: what acc holds goes in, the string's
   length is checked, and with events the text this pass appended (`added` characters: held in acc
   and gone in directly, `direct`) is one growth, as build.py's GROW(acc). `known`: the
   string's length after the last piece that went in directly (the length when acc holds nothing
   since). 0, or -1 on an error. */
static inline int string_grew(Engine *e, Src *buf, Py_ssize_t direct, Py_ssize_t known) {
    Py_ssize_t added = e->alen + direct, len = e->alen ? flush(e) : known;
    PyObject *piece = NULL;
    if (len <= 0 || (e->events & GROW_WANTED)) {  /* (len 0: everything went in directly) */
        PyObject *t = len < 0 ? NULL : slot_get(e);
        if (!t) return -1;
        len = PyUnicode_GET_LENGTH(t);
        if ((e->events & GROW_WANTED) && e->slot != SLOT_BOX && len <= e->max_string)
            piece = PyUnicode_Substring(t, len - added, len);
        Py_DECREF(t);  /* (before the event: the open string stays alone in its slot) */
        if ((e->events & GROW_WANTED) && e->slot != SLOT_BOX && len <= e->max_string && !piece) return -1;
    }
    if (len > e->max_string) {
        STRING_LIMIT(buf, e->tstart - e->pos);
        return -1;
    }
    if (!piece) return 0;
    int r = emit(e, EV_GROW, piece, NULL);
    Py_DECREF(piece);
    return r;
}

/* Scan the fragment `buf` (its characters: kind, data, n), or the end of input when e->closing:
   the values it completes. */
static PyObject *scan(Engine *e, Src *buf, const int kind, const void *data, const Py_ssize_t n) {
    PyObject *out = NULL, *v;
    Py_ssize_t i = 0, j, k;
    Py_UCS4 c;
    int is_float;

#define FAIL goto error
#define CHECK(x) do { if ((x) < 0) goto error; } while (0)
    while (i < n) {
        if (e->state < VALUE) {
            /* ---- inside a string: decode up to the closing quote or the fragment end */
            int val = e->state == STR, fin = 0, grew = 0;
            Py_ssize_t direct = 0;  /* characters appended before the last flush */
            Py_ssize_t known = 0;  /* the string's length after the last direct append */
            /* an error in the string (`bad`, at bad_at) is raised once the text before it is
               appended (bad_in_string below), so that nothing received is lost */
            PyObject *bad;
            Py_ssize_t bad_at;
            for (;;) {
                j = plain_end(kind, data, i, n);
                if (j > i) {
                    /* a long run goes in directly, and so does a run that is all this pass
                       appends (the common delta: plain text, up to its end or the closing quote;
                       the whole fragment is then appended as it is, no copy made) */
                    if (j - i > 256 || e->alen > 4096 || (e->alen == 0 && (j == n || PyUnicode_READ(kind, data, j) == '"'))) {
                        direct += e->alen + (j - i);
                        CHECK(flush(e));
                        PyObject *piece = sub(buf, i, j);
                        if (!piece) FAIL;
                        known = grow(e, piece);
                        Py_DECREF(piece);
                        CHECK(known);
                    } else CHECK(acc_run(e, kind, data, i, j));
                    grew = 1;
                }
                if (j == n) { i = n; break; }
                c = PyUnicode_READ(kind, data, j);
                if (c == '"') { i = j + 1; fin = 1; break; }
                if (c != '\\') {
                    PyObject *found = describe(buf, j);
                    bad = found ? PyUnicode_FromFormat("invalid %U in string (must be escaped)", found) : NULL;
                    Py_XDECREF(found);
                    if (!bad) FAIL;
                    bad_at = j;
                    goto bad_in_string;
                }
                if (j + 1 == n) {  /* a cut escape */
                    e->carry = sub(buf, j, n);
                    if (!(e->cut = e->carry != NULL)) FAIL;
                    i = n;
                    break;
                }
                c = PyUnicode_READ(kind, data, j + 1);
                if (c == 'u') {
                    Py_ssize_t hend = j + 6 < n ? j + 6 : n;
                    Py_UCS4 cp;
                    Py_ssize_t h = hex_run(kind, data, j + 2, hend, &cp);
                    if (h == j + 6) {
                        if (cp >= 0xD800 && cp <= 0xDBFF) {
                            /* a high surrogate: combined with a following low one, as
                               json.loads does; else it stays a lone surrogate */
                            Py_ssize_t r0 = j + 6, rend = j + 12 < n ? j + 12 : n, rl = rend - r0;
                            int pair_start = rl >= 2 && PyUnicode_READ(kind, data, r0) == '\\' &&
                                             PyUnicode_READ(kind, data, r0 + 1) == 'u';
                            Py_UCS4 lo = 0;
                            Py_ssize_t x = pair_start ? hex_run(kind, data, r0 + 2, rend, &lo) : r0 + 2;
                            if (rl == 6) {
                                if (pair_start && x == rend && lo >= 0xDC00 && lo <= 0xDFFF) {
                                    CHECK(acc_char(e, 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)));
                                    grew = 1;
                                    i = j + 12;
                                    continue;
                                }
                            } else if (rl == 0 || (rl == 1 && PyUnicode_READ(kind, data, r0) == '\\') ||
                                       (pair_start && x == rend)) {
                                e->carry = sub(buf, j, n);  /* wait for the pair */
                                if (!(e->cut = e->carry != NULL)) FAIL;
                                i = n;
                                break;
                            }
                        }
                        CHECK(acc_char(e, cp));
                        grew = 1;
                        i = j + 6;
                    } else if (h == hend && hend < j + 6) {  /* cut: its rest may follow */
                        e->carry = sub(buf, j, n);
                        if (!(e->cut = e->carry != NULL)) FAIL;
                        i = n;
                        break;
                    } else {
                        if (!(bad = PyUnicode_FromString("invalid \\uXXXX escape (expected 4 hex digits)"))) FAIL;
                        bad_at = j;
                        goto bad_in_string;
                    }
                } else if (c < 128 && ESC[c]) {
                    CHECK(acc_char(e, PyUnicode_READ_CHAR(ESC[c], 0)));
                    grew = 1;
                    i = j + 2;
                } else {
                    if (!(bad = PyUnicode_FromFormat("invalid escape '\\%c' in string", (int)c))) FAIL;
                    bad_at = j;
                    goto bad_in_string;
                }
            }
            if (grew) CHECK(string_grew(e, buf, direct, known));
            if (!fin) break;
            v = slot_get(e);
            if (!v) FAIL;
            if (!val) {
                PyObject *kk = e->memo || (e->memo = PyDict_New()) ? PyDict_SetDefault(e->memo, v, v) : NULL;
                Py_DECREF(v);
                if (!kk) FAIL;
                Py_INCREF(kk);
                Py_SETREF(e->key, kk);
                e->state = COLON;
                if (e->events & MEMBER_WANTED) CHECK(emit(e, EV_MEMBER, e->key, e->key));
                continue;
            }
            if (e->show && e->top) {
                e->state = AFTER;
                int r = emit_here(e, EV_CLOSE, v);
                Py_DECREF(v);
                CHECK(r);
                continue;
            }
            CHECK(attach(e, v, &out, e->show));  /* (a top-level string shown open closes) */
            continue;
        bad_in_string:
            if (grew && string_grew(e, buf, direct, known) < 0) {
                Py_DECREF(bad);
                FAIL;
            }
            fail_at(e, ParseErrorT, bad, buf, bad_at);
            FAIL;
        }
        if (e->state == NUM) {
            /* ---- a number cut by the previous fragment boundary (i == 0 here) */
            k = numch_end(kind, data, i, n);
            Py_ssize_t had = e->nlen;
            CHECK(num_append(e, kind, data, i, k));
            Py_ssize_t start = k - e->nlen;  /* where the number began, before this fragment */
            /* (the ASCII buffer reads as 1-byte characters) */
            if (k == n) {  /* still cut: it must still be able to become a number */
                /* (digits go on any valid start but "-", "0" and "-0": "-01", "00") */
                const char *d = e->num;
                Py_ssize_t x = had;
                while (x < e->nlen && IS_DIGIT(d[x])) x++;
                if (x < e->nlen || e->nlen > e->max_number ||
                    (had <= 2 && (d[had - 1] == '0' || d[had - 1] == '-') && (had == 1 || d[0] == '-'))) {
                    Py_ssize_t p = num_prefix_end(PyUnicode_1BYTE_KIND, e->num, 0, e->nlen);
                    if (p < e->nlen || p > e->max_number) {
                        fail_number(e, buf, start, PyUnicode_FromStringAndSize(e->num, e->nlen), 0);
                        FAIL;
                    }
                }
                i = n;
                break;
            }
            if (match_number(PyUnicode_1BYTE_KIND, e->num, 0, e->nlen, &is_float) != e->nlen || e->nlen > e->max_number) {
                fail_number(e, buf, start, PyUnicode_FromStringAndSize(e->num, e->nlen), 1);
                FAIL;
            }
            v = number_value(e->num, e->nlen, is_float);
            if (!v) { fail_conversion(e, buf, start); FAIL; }
            e->nlen = 0;
            i = k;
            CHECK(attach(e, v, &out, 0));
            continue;
        }
        c = PyUnicode_READ(kind, data, i);
        if (IS_WS(c)) {
            i++;
            while (i < n && IS_WS(PyUnicode_READ(kind, data, i))) i++;
            continue;
        }
        switch (e->state) {
        case AFTER:
            if (c == ',') {
                i++;
                e->state = e->is_list ? VALUE : KEY;
                continue;
            }
            if (c != (Py_UCS4)(e->is_list ? ']' : '}')) { fail_expected(e, buf, i); FAIL; }
            /* ---- the container closes: it is the completed value */
            v = e->top;  /* (our reference moves to v) */
            e->depth--;
            e->top = e->stk[e->depth];
            Py_SETREF(e->key, e->kstk[e->depth]);
            i++;
            if (e->top) {
                e->is_list = PyList_CheckExact(e->top);
                int r = emit_here(e, EV_CLOSE, v);
                Py_DECREF(v);
                CHECK(r);
                continue;  /* state stays AFTER */
            }
            e->is_list = 0;
            CHECK(attach(e, v, &out, 1));
            continue;
        case VALUE:
        case FIRST_ITEM:
            if (c == '"') {
                j = plain_end(kind, data, i + 1, n);
                if (j - i - 1 > e->max_string) {  /* too long (whole, or open) */
                    if (!(e->over = sub(buf, i + 1, j))) FAIL;
                    STRING_LIMIT(buf, i);
                    FAIL;
                }
                if (j < n && PyUnicode_READ(kind, data, j) == '"') {  /* the whole string is here */
                    v = sub(buf, i + 1, j);
                    i = j + 1;
                    CHECK(attach(e, v, &out, 0));
                    continue;
                }
                /* the string stays open: at the end of the fragment, an escape or a control
                   character (the string loop reads on from there) */
                PyObject *text = sub(buf, i + 1, j);
                if (!text) FAIL;
                e->tstart = e->pos + i;
                i = j;
                e->state = STR;
                Py_CLEAR(e->sc);
                Py_CLEAR(e->sk);
                if (!e->show) e->slot = SLOT_BOX;
                else if (!e->top) e->slot = SLOT_OWNER;
                else if (e->is_list) {
                    e->slot = SLOT_LIST;
                    e->sc = e->top;
                    Py_INCREF(e->sc);
                    if (PyList_Append(e->top, EMPTY) < 0) { Py_DECREF(text); FAIL; }
                } else {
                    e->slot = SLOT_DICT;
                    e->sc = e->top;
                    Py_INCREF(e->sc);
                    e->sk = e->key;
                    Py_INCREF(e->sk);
                }
                PyObject *shown = e->show && e->events ? (Py_INCREF(text), text) : NULL;
                if (slot_put(e, text) < 0) { Py_XDECREF(shown); FAIL; }
                if (shown) {
                    int r = emit_here(e, EV_STRING, shown);
                    Py_DECREF(shown);
                    CHECK(r);
                }
                continue;
            }
            if (c == '{' || c == '[') {
                if (e->depth >= e->max_depth) { LIMIT("nesting deeper than max_depth=%zd", e->max_depth, buf, i); FAIL; }
                PyObject *d = c == '[' ? PyList_New(0) : PyDict_New();
                if (!d) FAIL;
                int r;
                if (!e->top) r = PyObject_SetAttr(e->owner, s_value, d);
                else if (e->is_list) r = PyList_Append(e->top, d);
                else r = PyDict_SetItem(e->top, e->key, d);
                if (r < 0 || emit_here(e, EV_OPEN, d) < 0) { Py_DECREF(d); FAIL; }
                if (e->depth == e->cap) {
                    Py_ssize_t cap = e->cap * 2 + 16;
                    PyObject **a = PyMem_Realloc(e->stk, (size_t)cap * sizeof(PyObject *));
                    if (!a) { Py_DECREF(d); PyErr_NoMemory(); FAIL; }
                    e->stk = a;
                    a = PyMem_Realloc(e->kstk, (size_t)cap * sizeof(PyObject *));
                    if (!a) { Py_DECREF(d); PyErr_NoMemory(); FAIL; }
                    e->kstk = a;
                    e->cap = cap;
                }
                e->stk[e->depth] = e->top;  /* (our references move to the stack) */
                Py_INCREF(e->key);
                e->kstk[e->depth] = e->key;
                e->depth++;
                e->top = d;
                e->is_list = c == '[';
                e->state = e->is_list ? FIRST_ITEM : FIRST_KEY;
                i++;
                continue;
            }
            if (c == ']' && e->state == FIRST_ITEM) {
                e->state = AFTER;  /* an empty array: closed by the AFTER branch */
                continue;
            }
            if (c == '-' || IS_DIGIT(c)) {
                v = NULL;
                /* (k == i below: no number read here; the token is judged whole) */
                if (c == '-' && (i + 1 == n || !IS_DIGIT(PyUnicode_READ(kind, data, i + 1))))
                    k = i;  /* "-" without a digit: cut by the fragment's end, or malformed */
                else if (n - i > e->max_number && numch_end(kind, data, i, n) - i > e->max_number)
                    k = i;  /* too long, or malformed before that */
                else {
                    k = match_number(kind, data, i, n, &is_float);
                    if (k < n && !IS_NUMCH(PyUnicode_READ(kind, data, k))) {
                        /* whole (a cut one is converted once it ends: ".5" may follow) */
                        v = number_at(kind, data, i, k, is_float);
                        if (!v) { fail_conversion(e, buf, i); FAIL; }
                    }
                }
                if (k == n || IS_NUMCH(PyUnicode_READ(kind, data, k))) {
                    /* cut by the fragment's end ("12", "1.", "-"), or malformed ("01") */
                    if (k != n) {
                        k = numch_end(kind, data, k, n);
                        Py_ssize_t p = num_prefix_end(kind, data, i, k);
                        if (k != n || p < n || p - i > e->max_number) {
                            fail_number(e, buf, i, sub(buf, i, k), k != n);
                            FAIL;
                        }
                    }
                    e->nlen = 0;
                    CHECK(num_append(e, kind, data, i, n));
                    e->state = NUM;
                    i = n;
                    break;
                }
                i = k;
                CHECK(attach(e, v, &out, 0));
                continue;
            }
            if (c == 't' || c == 'f' || c == 'n') {
                const char *word = c == 't' ? "true" : c == 'f' ? "false" : "null";
                Py_ssize_t wl = (Py_ssize_t)strlen(word), m = 0;
                while (m < wl && i + m < n && PyUnicode_READ(kind, data, i + m) == (Py_UCS4)word[m]) m++;
                if (m == wl) {
                    i += wl;
                    v = c == 't' ? Py_True : c == 'f' ? Py_False : Py_None;
                    Py_INCREF(v);
                    CHECK(attach(e, v, &out, 0));
                    continue;
                }
                if (i + m == n) {  /* cut: its rest may follow */
                    e->carry = sub(buf, i, n);
                    if (!(e->cut = e->carry != NULL)) FAIL;
                    i = n;
                    break;
                }
            }
            fail_expected(e, buf, i);
            FAIL;
        case KEY:
        case FIRST_KEY:
            if (c == '"') {
                j = plain_end(kind, data, i + 1, n);
                if (j < n && PyUnicode_READ(kind, data, j) == '"') {  /* the whole key */
                    if (j - i - 1 > e->max_string) { STRING_LIMIT(buf, i); FAIL; }
                    PyObject *text = sub(buf, i + 1, j);
                    if (!text) FAIL;
                    PyObject *kk = e->memo || (e->memo = PyDict_New()) ? PyDict_SetDefault(e->memo, text, text) : NULL;  /* one string per key */
                    Py_DECREF(text);
                    if (!kk) FAIL;
                    Py_INCREF(kk);
                    Py_SETREF(e->key, kk);
                    i = j + 1;
                    e->state = COLON;
                    if (i < n && PyUnicode_READ(kind, data, i) == ':') {
                        i++;
                        e->state = VALUE;
                    }
                    if (e->events & MEMBER_WANTED) CHECK(emit(e, EV_MEMBER, e->key, e->key));
                    continue;
                }
                Py_CLEAR(e->sc);
                Py_CLEAR(e->sk);
                e->slot = SLOT_BOX;
                Py_INCREF(EMPTY);
                Py_SETREF(e->box, EMPTY);
                e->tstart = e->pos + i;
                i++;
                e->state = KSTR;
                continue;
            }
            if (c == '}' && e->state == FIRST_KEY) {
                e->state = AFTER;  /* an empty object: closed by the AFTER branch */
                continue;
            }
            fail_expected(e, buf, i);
            FAIL;
        case COLON:
            if (c == ':') {
                i++;
                e->state = VALUE;
                continue;
            }
            fail_describing(e, "expected ':' after an object key, found %U", buf, i);
            FAIL;
        default: /* END */
            if (e->trailing) {  /* what follows the value is not ours (a closing fence, prose) */
                i = n;
                break;
            }
            fail_expected(e, buf, i);
            FAIL;
        }
    }

    for (j = 0; j < n; j++) {
        if (PyUnicode_READ(kind, data, j) == '\n') {
            e->nl++;
            e->lstart = e->pos + j + 1;
        }
    }
    e->pos += n - (e->cut ? PyUnicode_GET_LENGTH(e->carry) : 0);

    if (!e->closing) {
        if (out) return out;
        return PyTuple_New(0);
    }
    /* ---- end of input */
    if (e->carry || !(e->state == END || (e->multiple && e->state == VALUE && !e->top))) {
        PyObject *what, *value;
        value = PyObject_GetAttr(e->owner, s_value);
        if (!value) FAIL;
        if (value == Py_None && !e->top && e->state == VALUE) what = PyUnicode_FromString("no JSON value");
        else {
            PyObject *inside = PyObject_CallFunction(inside_fn, "iOO", e->state, e->carry ? e->carry : EMPTY,
                                                     e->top ? e->top : Py_None);
            what = inside ? PyUnicode_FromFormat("input ended inside %U", inside) : NULL;
            Py_XDECREF(inside);
        }
        Py_DECREF(value);
        if (!what) FAIL;
        PyObject *tail = sub(buf, n > 20 ? n - 20 : 0, n);
        if (!tail) { Py_DECREF(what); FAIL; }
        PyObject *exc = PyObject_CallFunction(IncompleteT, "OnnnO", what, e->pos, e->nl + 1, e->pos - e->lstart + 1, tail);
        Py_DECREF(what);
        Py_DECREF(tail);
        if (exc) {
            PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
            Py_DECREF(exc);
        }
        FAIL;
    }
    if (e->multiple) return out ? out : PyList_New(0);
    Py_XDECREF(out);
    return PyObject_GetAttr(e->owner, s_value);
error:
    Py_XDECREF(out);
    return NULL;
#undef FAIL
#undef CHECK
}

/* The str fragment `msg` (after the carry of a cut token, if any). */
static PyObject *feed_text(Engine *e, PyObject *msg) {
    Src src = {NULL, NULL, 0};
    if (e->cut) {
        src.str = PyUnicode_Concat(e->carry, msg);
        Py_CLEAR(e->carry);
        e->cut = 0;
        if (!src.str) return NULL;
    } else {
        src.str = msg;
        Py_INCREF(msg);
    }
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(src.str) < 0) {
        Py_DECREF(src.str);
        return NULL;
    }
#endif
    src.n = PyUnicode_GET_LENGTH(src.str);
    PyObject *r = scan(e, &src, PyUnicode_KIND(src.str), PyUnicode_DATA(src.str), src.n);
    Py_XDECREF(src.str);
    return r;
}

/* ASCII bytes, read in place: the same as their str, without making it. */
static PyObject *feed_ascii(Engine *e, const char *bytes, Py_ssize_t n) {
    Src src = {NULL, bytes, n};
    PyObject *r = scan(e, &src, PyUnicode_1BYTE_KIND, bytes, n);
    Py_XDECREF(src.str);
    return r;
}

/* decoder.<name>([arg, ]chars_before): its offsets count from the stream's characters before
   this fragment (the carry included). */
static PyObject *call_decoder(Engine *e, PyObject *name, PyObject *arg) {
    PyObject *before = PyLong_FromSsize_t(e->pos + (e->carry ? PyUnicode_GET_LENGTH(e->carry) : 0));
    if (!before) return NULL;
    PyObject *r = arg ? PyObject_CallMethodObjArgs(e->decoder, name, arg, before, NULL)
                      : PyObject_CallMethodObjArgs(e->decoder, name, before, NULL);
    Py_DECREF(before);
    return r;
}

/* A fragment of any accepted type: decoded, then fed (build.engine's loop head). */
static PyObject *feed(Engine *e, PyObject *msg) {
    PyObject *text = NULL, *r;
    if (PyUnicode_CheckExact(msg)) return feed_text(e, msg);
    if (PyBytes_CheckExact(msg) && e->plain_utf8) {
        /* decoding inline: no cut sequence pending and past a possible BOM; ASCII (the
           common case) is scanned in place */
        const char *b = PyBytes_AS_STRING(msg);
        Py_ssize_t n = PyBytes_GET_SIZE(msg), k = 0;
        while (k < n && !(b[k] & 0x80)) k++;
        if (k == n && !e->cut) return feed_ascii(e, b, n);
        text = PyUnicode_DecodeUTF8(b, n, "strict");
        if (!text) {
            if (!PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) return NULL;
            PyErr_Clear();  /* a cut sequence at the end, or bad bytes: the decoder sorts it out */
            e->plain_utf8 = 0;
        }
    }
    if (text) {
        /* decoded inline */
    } else if (PyUnicode_Check(msg)) {
        text = PyUnicode_FromObject(msg);  /* a str subclass: its plain str (its methods unused) */
        if (!text) return NULL;
    } else if (PyBytes_Check(msg) || PyByteArray_Check(msg) || PyMemoryView_Check(msg)) {
        if (!e->decoder) {
            e->decoder = PyObject_CallNoArgs(DecoderT);
            if (!e->decoder) return NULL;
            int start = e->pos == 0 && !e->carry && !e->top && e->state == VALUE;
            if (PyObject_SetAttr(e->decoder, s_start, start ? Py_True : Py_False) < 0) return NULL;
        }
        text = call_decoder(e, s_decode, msg);
        if (!text) {
            if (!PyErr_ExceptionMatches(ParseErrorT)) return NULL;
            /* The text before the bad bytes is read first (an error in it comes first). */
            PyObject *t, *v, *tb;
            PyErr_Fetch(&t, &v, &tb);
            PyErr_NormalizeException(&t, &v, &tb);
            PyObject *good = v ? PyObject_GetAttr(v, s_good) : NULL;
            if (!good) { PyErr_Clear(); good = EMPTY; Py_INCREF(good); }
            PyObject *all = e->carry ? PyUnicode_Concat(e->carry, good) : (Py_INCREF(good), good);
            PyObject *tail = all ? PyUnicode_Substring(all, PyUnicode_GET_LENGTH(all) > 20 ? PyUnicode_GET_LENGTH(all) - 20 : 0,
                                                       PyUnicode_GET_LENGTH(all)) : NULL;
            Py_XDECREF(all);
            r = tail ? feed_text(e, good) : NULL;
            Py_DECREF(good);
            if (!r) {  /* an error in the text before (or no memory) */
                Py_XDECREF(tail);
                Py_XDECREF(t);
                Py_XDECREF(v);
                Py_XDECREF(tb);
                return NULL;
            }
            Py_DECREF(r);
            PyErr_Restore(t, v, tb);
            return relocate(e, tail);
        }
        PyObject *pending = PyObject_GetAttr(e->decoder, s_pending);
        PyObject *start = pending ? PyObject_GetAttr(e->decoder, s_start) : NULL;
        if (!start) { Py_XDECREF(pending); Py_DECREF(text); return NULL; }
        e->plain_utf8 = !PyObject_IsTrue(pending) && !PyObject_IsTrue(start);
        Py_DECREF(pending);
        Py_DECREF(start);
    } else if (msg == CLOSE) {
        e->closing = 1;
        if (e->decoder) {
            r = call_decoder(e, s_finish, NULL);
            if (!r) {  /* located where the input ends */
                if (!PyErr_ExceptionMatches(ParseErrorT)) return NULL;
                Py_ssize_t m = e->carry ? PyUnicode_GET_LENGTH(e->carry) : 0;
                return relocate(e, e->carry ? PyUnicode_Substring(e->carry, m > 20 ? m - 20 : 0, m) : (Py_INCREF(EMPTY), EMPTY));
            }
            Py_DECREF(r);
        }
        /* A whole number ends at end of input as it would at whitespace; a cut one ("-", "1.")
           stays open and the input is incomplete. */
        int is_float;
        int whole = e->state == NUM && match_number(PyUnicode_1BYTE_KIND, e->num, 0, e->nlen, &is_float) == e->nlen;
        return feed_text(e, whole ? SPACE : EMPTY);
    } else {
        return PyErr_Format(PyExc_TypeError, "feed() takes str or bytes, not %s", Py_TYPE(msg)->tp_name);
    }
    r = feed_text(e, text);
    Py_DECREF(text);
    return r;
}

/* On an error, nothing received is lost (build.py's except clause): a hidden string is shown, and a
   string too long stands cut to max_string characters (the same partial whatever the split). */
static int keep_partial(Engine *e) {
    PyObject *over;
    if (e->state == STR) {
        if (!(over = slot_get(e))) return -1;
    } else if (e->over) {
        over = e->over;
        Py_INCREF(over);
    } else return 0;
    if (PyUnicode_GET_LENGTH(over) > e->max_string) {
        Py_SETREF(over, PyUnicode_Substring(over, 0, e->max_string));
        if (!over) return -1;
    }
    int r;
    if (e->state == STR && e->show) return slot_put(e, over);
    if (!e->top) r = PyObject_SetAttr(e->owner, s_value, over);
    else if (e->is_list) r = PyList_Append(e->top, over);
    else r = PyDict_SetItem(e->top, e->key, over);
    Py_DECREF(over);
    return r;
}

static PyObject *fail(Engine *e);

/* The fetched exception (t, v, tb) raised again if `ok`, else dropped for the one now set (always NULL). */
static PyObject *reraise(PyObject *t, PyObject *v, PyObject *tb, int ok) {
    if (ok) {
        PyErr_Restore(t, v, tb);
    } else {
        Py_XDECREF(t);
        Py_XDECREF(v);
        Py_XDECREF(tb);
    }
    return NULL;
}

/* send, without the hooks (see Engine_send) */
static PyObject *send_core(Engine *e, PyObject *msg) {
    char running = e->phase;
    if (running != PHASE_RUNNING && running != PHASE_HOOKED) {
        if (running == PHASE_DEAD) {
            PyErr_SetNone(PyExc_StopIteration);
            return NULL;
        }
        if (running == PHASE_READING) {  /* (as a generator: the outer send goes on) */
            PyErr_SetString(PyExc_ValueError, "engine already executing");
            return NULL;
        }
        if (msg != Py_None) {
            PyErr_SetString(PyExc_TypeError, "can't send non-None value to a just-started engine");
            return NULL;
        }
        e->phase = e->hooks ? PHASE_HOOKED : PHASE_RUNNING;
        Py_RETURN_NONE;
    }
    e->phase = PHASE_READING;
    PyObject *r = feed(e, msg);
    if (r) {
        e->phase = running;
        return r;
    }
    r = fail(e);
    e->phase = PHASE_DEAD;  /* as a generator that raised (on_fail was called while it still ran) */
    return r;
}

/* The error path of send_core (always NULL): the partial value kept, on_fail told. */
static PyObject *fail(Engine *e) {
    if (PyErr_ExceptionMatches(ParseErrorT)) {
        PyObject *t, *v, *tb;
        PyErr_Fetch(&t, &v, &tb);
        PyErr_NormalizeException(&t, &v, &tb);
        PyObject *partial = keep_partial(e) < 0 ? NULL : PyObject_GetAttr(v, s_partial);
        int ok = partial != NULL;
        if (ok && partial == Py_None) {
            PyObject *value = PyObject_GetAttr(e->owner, s_value);
            ok = value && PyObject_SetAttr(v, s_partial, value) == 0;
            Py_XDECREF(value);
        }
        Py_XDECREF(partial);
        if (ok) {
            PyObject *res = e->on_fail ? PyObject_CallOneArg(e->on_fail, v) : PyObject_CallMethodOneArg(e->owner, s_fail, v);
            ok = res != NULL;
            Py_XDECREF(res);
        }
        return reraise(t, v, tb, ok);  /* (not ok: an error while reporting it replaces it) */
    }
    return NULL;
}

/* The mirror (hooks[3]): a list, empty or [target, tkey, source, skey]: target[tkey] shows the open
   string source[skey] elsewhere (ModelParser's typed partial value). While a fragment is read it is
   let go (set to ""), so that the string has one reference and grows in place, then shown again. */
static int mirror(Engine *e, int show) {
    PyObject *m = PyTuple_GET_ITEM(e->hooks, 3), *it[4];
    if (PyList_GET_SIZE(m) != 4) return 0;
    for (int k = 0; k < 4; k++) {  /* (held: the item methods called below may change the list) */
        it[k] = PyList_GET_ITEM(m, k);
        Py_INCREF(it[k]);
    }
    PyObject *v = show ? PyObject_GetItem(it[2], it[3]) : (Py_INCREF(EMPTY), EMPTY);
    int r = v ? PyObject_SetItem(it[0], it[1], v) : -1;
    Py_XDECREF(v);
    for (int k = 0; k < 4; k++) Py_DECREF(it[k]);
    return r;
}

/* send with hooks: send_core, and the hooks (record, wake, after, mirror) when given (build.Hooked says
   the same): the mirror is let go while the fragment is read and shown again after (an error
   too); a fragment read without error is appended to `record` (as bytes for a bytearray or a
   memoryview: the caller may reuse its buffer); then, if the list `wake` is not empty (the event
   consumer put something there), send returns after()'s result instead of its own. An error
   raised by after() is the consumer's: the engine stays alive. */
static Py_NO_INLINE PyObject *hooked_send(Engine *e, PyObject *msg) {
    if (mirror(e, 0) < 0) return NULL;
    PyObject *r = send_core(e, msg);
    if (!r) {
        PyObject *t, *v, *tb;
        PyErr_Fetch(&t, &v, &tb);
        return reraise(t, v, tb, mirror(e, 1) == 0);  /* (an error while showing it replaces it) */
    }
    if (mirror(e, 1) < 0) {
        Py_DECREF(r);
        return NULL;
    }
    PyObject *piece = PyUnicode_Check(msg) || PyBytes_Check(msg) ? (Py_INCREF(msg), msg) : PyBytes_FromObject(msg);
    if (!piece || PyList_Append(PyTuple_GET_ITEM(e->hooks, 0), piece) < 0) {
        Py_XDECREF(piece);
        Py_DECREF(r);
        return NULL;
    }
    Py_DECREF(piece);
    if (PyList_GET_SIZE(PyTuple_GET_ITEM(e->hooks, 1)) == 0) return r;
    Py_DECREF(r);
    return PyObject_CallNoArgs(PyTuple_GET_ITEM(e->hooks, 2));
}

static PyObject *Engine_send(Engine *e, PyObject *msg) {
    if (e->phase == PHASE_HOOKED && msg != CLOSE) return hooked_send(e, msg);
    return send_core(e, msg);
}

static PyObject *Engine_next(Engine *e) { return Engine_send(e, Py_None); }


/* ---------------------------------------------------------------- the type */

/* The object fields, other than the container stack: one list for the GC's traverse and clear,
   so that neither can miss one. */
#define ENGINE_OBJECTS(X) X(owner) X(on_fail) X(on_event) X(memo) X(top) X(key) X(box) X(sc) X(sk) \
    X(carry) X(decoder) X(over) X(hooks)

static int Engine_traverse(Engine *e, visitproc visit, void *arg) {
    for (Py_ssize_t d = 0; d < e->depth; d++) {
        Py_VISIT(e->stk[d]);
        Py_VISIT(e->kstk[d]);
    }
#define VISIT_FIELD(f) Py_VISIT(e->f);
    ENGINE_OBJECTS(VISIT_FIELD)
#undef VISIT_FIELD
    return 0;
}

static int Engine_clear(Engine *e) {
    while (e->depth > 0) {
        e->depth--;
        Py_CLEAR(e->stk[e->depth]);
        Py_CLEAR(e->kstk[e->depth]);
    }
#define CLEAR_FIELD(f) Py_CLEAR(e->f);
    ENGINE_OBJECTS(CLEAR_FIELD)
#undef CLEAR_FIELD
    return 0;
}

static void Engine_dealloc(Engine *e) {
    PyObject_GC_UnTrack(e);
    Engine_clear(e);
    PyMem_Free(e->stk);
    PyMem_Free(e->kstk);
    PyMem_Free(e->num);
    PyMem_Free(e->acc);
    Py_TYPE(e)->tp_free((PyObject *)e);
}

static PyMethodDef Engine_methods[] = {
    {"send", (PyCFunction)Engine_send, METH_O, "Feed one fragment (or CLOSE); the values it completes."},
    {NULL}};

/* The object's size: its block (with the collector's 16-byte header before it) a whole number of
   cache lines, so that in pymalloc's pools (whose blocks start 48 bytes into a 16 KiB-aligned
   pool) every engine starts a cache line and its first line holds what a delta reads. */
#define ENGINE_SIZE ((Py_ssize_t)(((sizeof(Engine) + 16 + 63) / 64) * 64 - 16))

static PyTypeObject EngineType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "midstream.engine._cengine.Engine",
    .tp_basicsize = ENGINE_SIZE,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "The parser's engine state (see midstream.engine.build.engine).",
    .tp_traverse = (traverseproc)Engine_traverse,
    .tp_clear = (inquiry)Engine_clear,
    .tp_dealloc = (destructor)Engine_dealloc,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)Engine_next,
    .tp_methods = Engine_methods,
};

static PyObject *make_engine(PyObject *self, PyObject *args, PyObject *kw) {
    static char *names[] = {"owner", "on_fail", "multiple", "partial_strings", "max_depth",
                            "max_string", "max_number", "on_event", "trailing", "kinds", "hooks", NULL};
    PyObject *owner, *on_fail, *on_event = Py_None, *hooks = Py_None;
    int multiple = 0, show = 1, trailing = 0, kinds = ALL_KINDS;
    Py_ssize_t max_depth = 1024, max_string = 64 * 1024 * 1024, max_number = 10000;
    if (!CLOSE) {
        PyErr_SetString(PyExc_RuntimeError, "midstream.engine._cengine: bind() was not called");
        return NULL;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|ppnnnOpiO:engine", names, &owner, &on_fail, &multiple, &show,
                                     &max_depth, &max_string, &max_number, &on_event, &trailing, &kinds, &hooks))
        return NULL;
    if (hooks != Py_None && !(PyTuple_CheckExact(hooks) && PyTuple_GET_SIZE(hooks) == 4 &&
                              PyList_CheckExact(PyTuple_GET_ITEM(hooks, 0)) && PyList_CheckExact(PyTuple_GET_ITEM(hooks, 1)) &&
                              PyCallable_Check(PyTuple_GET_ITEM(hooks, 2)) && PyList_CheckExact(PyTuple_GET_ITEM(hooks, 3)))) {
        PyErr_SetString(PyExc_TypeError, "hooks must be None or a tuple (record: list, wake: list, after: callable, mirror: list)");
        return NULL;
    }
    Engine *e = PyObject_GC_New(Engine, &EngineType);
    if (!e) return NULL;
    memset((char *)e + sizeof(PyObject), 0, sizeof(Engine) - sizeof(PyObject));
    Py_INCREF(owner);
    e->owner = owner;
    if (on_fail != Py_None) {  /* (None: owner._fail, looked up on an error) */
        Py_INCREF(on_fail);
        e->on_fail = on_fail;
    }
    Py_INCREF(on_event);
    e->on_event = on_event;
    e->events = on_event != Py_None ? kinds & ALL_KINDS : 0;
    e->multiple = multiple;
    e->trailing = trailing;
    e->show = show;
    e->max_depth = max_depth;
    e->max_string = max_string;
    e->max_number = max_number;
    if (hooks != Py_None) {
        Py_INCREF(hooks);
        e->hooks = hooks;
    }
    e->state = VALUE;
    Py_INCREF(EMPTY);
    e->key = EMPTY;
    Py_INCREF(EMPTY);
    e->box = EMPTY;
    PyObject_GC_Track(e);
    return (PyObject *)e;
}

/* maybe_big_int(data): whether bytes `data` may hold an integer literal of 19+ digits, i.e. a run
   of 19+ digits at the start or after one of ": , [ -" or whitespace (jsonl._py_maybe_big_int,
   the reference, says exactly the same). Any 19 consecutive positions hold one multiple of 19,
   so only those are probed: a digit there is expanded to its whole run. */
static PyObject *maybe_big_int(PyObject *self, PyObject *arg) {
    Py_buffer view;
    int found = 0;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
    const unsigned char *s = view.buf;
    Py_ssize_t n = view.len;
    for (Py_ssize_t p = 18; p < n; p += 19) {
        if (!IS_DIGIT(s[p])) continue;
        Py_ssize_t a = p, b = p + 1;
        while (a > 0 && IS_DIGIT(s[a - 1])) a--;
        while (b < n && IS_DIGIT(s[b])) b++;
        if (b - a >= 19) {
            unsigned char c = a ? s[a - 1] : ' ';
            if (IS_WS(c) || c == ':' || c == ',' || c == '[' || c == '-') {
                found = 1;
                break;
            }
        }
        /* go on from the first probe at or past b (probes are the p = 18 mod 19) */
        Py_ssize_t r = (b - 18) % 19;
        p = (r ? b + 19 - r : b) - 19;
    }
    PyBuffer_Release(&view);
    return PyBool_FromLong(found);
}

/* bind(build_module): the sentinel, error classes and cold-path helpers of the Python engine. */
static PyObject *bind(PyObject *self, PyObject *module) {
#define TAKE(var, name) do { PyObject *x_ = PyObject_GetAttrString(module, name); if (!x_) return NULL; Py_XSETREF(var, x_); } while (0)
    TAKE(ParseErrorT, "ParseError");
    TAKE(LimitT, "LimitExceededError");
    TAKE(IncompleteT, "IncompleteJSONError");
    TAKE(DecoderT, "Utf8Decoder");
    for (int k = 0; k < EV_COUNT; k++) {  /* the event numbers must be the ones used here */
        PyObject *x = PyObject_GetAttrString(module, EV_NAMES[k]);
        if (!x) return NULL;
        long got = PyLong_AsLong(x);
        Py_DECREF(x);
        if (got == -1 && PyErr_Occurred()) return NULL;
        if (got != k)
            return PyErr_Format(PyExc_ImportError, "midstream.engine._cengine: build.%s is %ld, the compiled engine "
                                "says %d: reinstall to recompile it", EV_NAMES[k], got, k);
    }
    TAKE(located_fn, "located");
    TAKE(describe_fn, "describe");
    TAKE(expected_fn, "_expected");
    TAKE(inside_fn, "_inside");
    TAKE(bad_number_fn, "bad_number");
    {
        PyObject *table = PyObject_GetAttrString(module, "_EXPECTED");
        if (!table) return NULL;
        PyObject *key = PyLong_FromLong(END);
        PyObject *v = key ? PyObject_GetItem(table, key) : NULL;
        Py_XDECREF(key);
        Py_DECREF(table);
        if (!v) return NULL;
        Py_XSETREF(END_EXPECTED, v);
    }
    TAKE(CLOSE, "CLOSE");  /* last: its presence means bound */
#undef TAKE
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"engine", (PyCFunction)(void (*)(void))make_engine, METH_VARARGS | METH_KEYWORDS,
     "engine(owner, on_fail, multiple=False, partial_strings=True, max_depth, max_string, max_number, "
     "on_event=None, trailing=False, kinds=63, hooks=None): the parser's engine (see midstream.engine.build.python_engine)."},
    {"bind", (PyCFunction)bind, METH_O, "Take the sentinel, errors and helpers of the Python engine module."},
    {"maybe_big_int", (PyCFunction)maybe_big_int, METH_O,
     "Whether bytes may hold an integer literal of 19+ digits (see jsonl._py_maybe_big_int)."},
    {NULL}};

static struct PyModuleDef module_def = {PyModuleDef_HEAD_INIT, "midstream.engine._cengine",
                                        "The parser's engine in C (see midstream.engine.build).", -1, module_methods};

PyMODINIT_FUNC PyInit__cengine(void) {
    if (PyType_Ready(&EngineType) < 0) return NULL;
#define INTERN(var, s) do { if (!(var = PyUnicode_InternFromString(s))) return NULL; } while (0)
    INTERN(s_value, "value");
    INTERN(s_partial, "partial");
    INTERN(s_pending, "pending");
    INTERN(s_start, "start");
    INTERN(s_decode, "decode");
    INTERN(s_finish, "finish");
    INTERN(s_msg, "msg");
    INTERN(s_good, "good");
    INTERN(s_fail, "_fail");
#undef INTERN
    if (!(EMPTY = PyUnicode_FromString("")) || !(SPACE = PyUnicode_FromString(" "))) return NULL;
    for (int k = 0; k < EV_COUNT; k++)
        if (!(KIND[k] = PyLong_FromLong(k))) return NULL;
    static const char *esc = "\"\"\\\\//b\bf\fn\nr\rt\t";
    for (int x = 0; esc[x]; x += 2)
        if (!(ESC[(unsigned char)esc[x]] = PyUnicode_FromStringAndSize(esc + x + 1, 1))) return NULL;
    return PyModule_Create(&module_def);
}
