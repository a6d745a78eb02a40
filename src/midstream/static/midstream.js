// midstream.js: the browser side of midstream's patch streams (README: "To the browser").
// A dependency-free ES module: applyPatch() applies the operations that midstream.patches()
// makes (RFC 6902 add / replace, plus "append" and "done"); streamPatches() reads them as
// Server-Sent Events with fetch() (so a request can POST and send headers, which EventSource
// cannot) and calls back with the document after each event.

const hasOwn = Object.prototype.hasOwnProperty;

/** An operation that does not fit the document. `op`, `index`; `doc`: the document so far. */
export class PatchError extends Error {
  constructor(message, op, index, doc) {
    super(`${message} (operation ${index}: ${safeJSON(op)})`);
    this.name = "PatchError";
    this.op = op;
    this.index = index;
    this.doc = doc;
  }
}

/** A patch stream that failed: HTTP status, an `error` event, or an end before `done`.
 * `type`: the server's error type ("ParseError", "IncompleteJSONError", ...) or "HTTPError",
 * "IncompleteStream", "BadEvent"; `status` for HTTP; `doc`: the document so far; `info`: the
 * error event's data. */
export class StreamError extends Error {
  constructor(message, { type = "StreamError", status, doc, info } = {}) {
    super(message);
    this.name = "StreamError";
    this.type = type;
    this.status = status;
    this.doc = doc;
    this.info = info;
  }
}

function safeJSON(v) {
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 200 ? s.slice(0, 200) + "..." : s;
  } catch {
    return String(v);
  }
}

// A copy of a JSON value's containers: the document never shares one with an operation.
function copy(v) {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(copy);
  const out = {};
  for (const k of Object.keys(v)) setMember(out, k, copy(v[k]));
  return out;
}

// obj[key] = value, also for the key "__proto__" (an assignment would set the prototype).
function setMember(obj, key, value) {
  if (key === "__proto__") {
    Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

function unescapeToken(token, fail) {
  if (token.indexOf("~") < 0) return token;
  if (/~(?![01])/.test(token)) fail(`invalid JSON Pointer escape in ${JSON.stringify(token)}`);
  return token.replace(/~1/g, "/").replace(/~0/g, "~");
}

function arrayIndex(token, size, fail) {
  if (!/^(0|[1-9][0-9]*)$/.test(token)) fail(`${JSON.stringify(token)} is not an array index`);
  const i = Number(token);
  if (i >= size) fail(`array index ${i} is out of range (length ${size})`);
  return i;
}

function isContainer(v) {
  return v !== null && typeof v === "object";
}

/**
 * Apply `ops` to `doc` and return the document (containers are changed in place; a string is
 * replaced in its parent; an operation at the root "" replaces the document, which is
 * `undefined` before a stream's first operation). Same semantics as Python's
 * midstream.apply_patch: "add" (object member added or replaced; array index inserts, "-" or
 * the length appends), "replace" (target must exist), "append" (target must be a string),
 * "done" (no change). Throws PatchError.
 */
export function applyPatch(doc, ops) {
  if (!Array.isArray(ops)) throw new PatchError("the operations are not a list", ops, 0, doc);
  for (let index = 0; index < ops.length; index++) {
    const op = ops[index];
    const fail = (message) => {
      throw new PatchError(message, op, index, doc);
    };
    if (!isContainer(op) || typeof op.op !== "string" || typeof op.path !== "string") {
      fail("an operation is an object with 'op' and 'path'");
    }
    const kind = op.op;
    const path = op.path;
    if (kind === "done") continue;
    if (kind !== "add" && kind !== "replace" && kind !== "append") fail(`unsupported operation ${JSON.stringify(kind)}`);
    if (!hasOwn.call(op, "value")) fail(`${JSON.stringify(kind)} needs a 'value'`);
    const value = op.value;
    if (kind === "append" && typeof value !== "string") fail("'append' needs a string value");
    if (path === "") {
      if (kind === "append") {
        if (typeof doc !== "string") fail("'append' to a value that is not a string");
        doc += value;
      } else {
        doc = copy(value);
      }
      continue;
    }
    if (path[0] !== "/") fail(`invalid JSON Pointer ${JSON.stringify(path)} (it starts with '/')`);
    const tokens = path.split("/");
    let parent = doc;
    for (let t = 1; t < tokens.length - 1; t++) {
      const token = unescapeToken(tokens[t], fail);
      if (Array.isArray(parent)) {
        parent = parent[arrayIndex(token, parent.length, fail)];
      } else if (isContainer(parent)) {
        if (!hasOwn.call(parent, token)) fail(`no member ${JSON.stringify(token)} on the way to ${JSON.stringify(path)}`);
        parent = parent[token];
      } else {
        fail(`${JSON.stringify(path)} goes through a value that is not a container`);
      }
    }
    const last = unescapeToken(tokens[tokens.length - 1], fail);
    let key;
    if (Array.isArray(parent)) {
      if (kind === "add") {
        const size = parent.length;
        if (last === "-" || last === String(size)) parent.push(copy(value));
        else parent.splice(arrayIndex(last, size, fail), 0, copy(value));
        continue;
      }
      key = arrayIndex(last, parent.length, fail);
    } else if (isContainer(parent)) {
      key = last;
      if (kind !== "add" && !hasOwn.call(parent, key)) fail(`no member ${JSON.stringify(key)} at ${JSON.stringify(path)}`);
    } else {
      fail(`the parent of ${JSON.stringify(path)} is not a container`);
    }
    if (kind === "append") {
      if (typeof parent[key] !== "string") fail(`'append' to a value that is not a string at ${JSON.stringify(path)}`);
      parent[key] += value;
    } else {
      setMember(parent, key, copy(value));
    }
  }
  return doc;
}

/**
 * Record the completion marks ("done" operations) of `ops` in `marks` (a Map from JSON Pointer
 * to the operation, which may carry more, e.g. `valid`), and return it. A value is complete
 * when its own pointer is marked (or, for a value inside it, an ancestor's).
 */
export function collectMarks(ops, marks = new Map()) {
  for (const op of ops) if (op && op.op === "done") marks.set(op.path, op);
  return marks;
}

/**
 * Server-Sent Events from a stream of UTF-8 byte chunks (the WHATWG event-stream format): lines
 * end in CR, LF or CRLF (split anywhere, also between CR and LF or inside a UTF-8 sequence);
 * "data" lines join with "\n"; comments (":") and unknown fields are skipped; a BOM at the start
 * is dropped; an event not ended by a blank line when the stream ends is discarded. Yields
 * `{type, data, id}` (`type` "message" when the event names none). O(bytes).
 */
export async function* readEvents(body) {
  const reader = body.getReader();
  const decoder = new TextDecoder("utf-8");
  const parser = new EventParser();
  let finished = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      const text = done ? decoder.decode() : decoder.decode(value, { stream: true });
      if (text) {
        const events = parser.push(text);
        for (const ev of events) yield ev;
      }
      if (done) {
        finished = true;
        return;
      }
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => {}); // left early: stop the download
    reader.releaseLock();
  }
}

/** The incremental line and field parser of readEvents(): push(text) returns complete events. */
export class EventParser {
  constructor() {
    this.line = ""; // the start of a line cut by the end of the previous text
    this.afterCR = false; // the previous text ended in CR: a LF starting the next one belongs to it
    this.data = [];
    this.type = "";
    this.id = "";
  }

  push(text) {
    const events = [];
    let start = 0;
    const n = text.length;
    if (this.afterCR && n > 0) {
      if (text.charCodeAt(0) === 10) start = 1;
      this.afterCR = false;
    }
    for (let i = start; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      const line = this.line ? this.line + text.slice(start, i) : text.slice(start, i);
      this.line = "";
      this.field(line, events);
      if (c === 13) {
        if (i + 1 < n) {
          if (text.charCodeAt(i + 1) === 10) i++;
        } else {
          this.afterCR = true;
        }
      }
      start = i + 1;
    }
    if (start < n) this.line += text.slice(start);
    return events;
  }

  field(line, events) {
    if (line === "") {
      if (this.data.length) events.push({ type: this.type || "message", data: this.data.join("\n"), id: this.id });
      this.data = [];
      this.type = "";
      return;
    }
    if (line.charCodeAt(0) === 58) return; // ":" a comment
    const colon = line.indexOf(":");
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (name === "data") this.data.push(value);
    else if (name === "event") this.type = value;
    else if (name === "id" && value.indexOf("\0") < 0) this.id = value;
    // "retry" and anything else: nothing to do (a patch stream is not resumed by reconnecting)
  }
}

function isPlainJSON(body) {
  if (body === null || typeof body !== "object") return false;
  const proto = Object.getPrototypeOf(body);
  return Array.isArray(body) || proto === Object.prototype || proto === null;
}

/**
 * Read a patch stream (midstream.patches.patches_sse) from `url` and keep its document.
 *
 * Events: `patch` (or unnamed) with data = a JSON list of operations: applied, then
 * `onUpdate(doc, ops, event)`; `done`: `onDone(doc)`, and the promise resolves with the
 * document; `error` with data = `{"type", "message", ...}`: a StreamError. Other events are
 * ignored. A stream that ends without `done`, an HTTP status that is not 2xx, an event whose data
 * is not a list of operations, or a failed fetch (an aborted `signal` too) is an error: with
 * `onError`, it is called `onError(error, doc)` and the promise resolves with the document so
 * far; without, the promise rejects (`error.doc` holds the document so far).
 *
 * Options: `method` (default "POST" with a body, else "GET"), `headers` (Accept:
 * text/event-stream is added), `body` (a plain object or array is sent as JSON), `signal`,
 * `fetch` (default globalThis.fetch), `init` (more fetch() options), and the callbacks.
 */
export async function streamPatches(url, options = {}) {
  const { headers, signal, onUpdate, onDone, onError, init } = options;
  let { body, method } = options;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const hdrs = new Headers(headers ?? {});
  if (!hdrs.has("accept")) hdrs.set("accept", "text/event-stream");
  if (isPlainJSON(body)) {
    body = JSON.stringify(body);
    if (!hdrs.has("content-type")) hdrs.set("content-type", "application/json");
  }
  method ??= body == null ? "GET" : "POST";
  let doc;
  try {
    const response = await fetchImpl(url, { ...init, method, headers: hdrs, body, signal });
    if (!response.ok) {
      throw new StreamError(`HTTP ${response.status} ${response.statusText}`.trim(), { type: "HTTPError", status: response.status });
    }
    if (!response.body) throw new StreamError("the response has no body", { type: "IncompleteStream" });
    const events = readEvents(response.body);
    try {
      for await (const event of events) {
        if (event.type === "patch" || event.type === "message") {
          let ops;
          try {
            ops = JSON.parse(event.data);
          } catch (e) {
            throw new StreamError(`a patch event whose data is not JSON: ${e.message}`, { type: "BadEvent" });
          }
          if (!Array.isArray(ops)) throw new StreamError("a patch event whose data is not a list of operations", { type: "BadEvent" });
          doc = applyPatch(doc, ops);
          onUpdate?.(doc, ops, event);
          signal?.throwIfAborted(); // (stop now, whatever the fetch does with its body)
        } else if (event.type === "done") {
          onDone?.(doc);
          return doc;
        } else if (event.type === "error") {
          let info;
          try {
            info = JSON.parse(event.data);
          } catch {
            info = { message: event.data };
          }
          if (!isContainer(info)) info = { message: String(info) };
          throw new StreamError(info.message ?? "the server reported an error", { type: info.type ?? "StreamError", info });
        }
      }
    } finally {
      await events.return?.(); // stop reading (and release the body) when we leave early
    }
    throw new StreamError("the stream ended before its done event", { type: "IncompleteStream" });
  } catch (err) {
    if (err && typeof err === "object" && err.doc === undefined) {
      try {
        err.doc = doc;
      } catch {
        // (a frozen error: the document stays reachable through onError's second argument)
      }
    }
    if (onError) {
      onError(err, doc);
      return doc;
    }
    throw err;
  }
}
