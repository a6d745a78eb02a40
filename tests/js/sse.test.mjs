// streamPatches and the SSE reader: the SSE text the Python side wrote for the fixtures, as byte
// chunks cut at random places (inside UTF-8 sequences and CRLF too), through a stubbed fetch.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { EventParser, StreamError, readEvents, streamPatches } from "../../src/midstream/static/midstream.js";

const FIXTURES = process.env.MIDSTREAM_PATCH_FIXTURES ?? new URL("./fixtures/patches.json", import.meta.url);
const fixtures = JSON.parse(readFileSync(FIXTURES, "utf-8")).fixtures.filter((f) => f.sse);

function random(seed) {
  // mulberry32
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `bytes` cut into chunks of 1..maxLen bytes at seeded random places. */
function cut(bytes, seed, maxLen = 7) {
  const rnd = random(seed);
  const out = [];
  for (let k = 0; k < bytes.length; ) {
    const m = 1 + Math.floor(rnd() * maxLen);
    out.push(bytes.slice(k, k + m));
    k += m;
  }
  return out;
}

function body(chunks) {
  let k = 0;
  return new ReadableStream({
    pull(controller) {
      if (k < chunks.length) controller.enqueue(chunks[k++]);
      else controller.close();
    },
  });
}

/** A fetch that answers with `chunks` and records what it was asked. */
function stubFetch(chunks, { status = 200 } = {}) {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push({ url, init });
    return new Response(body(chunks), { status, headers: { "content-type": "text/event-stream" } });
  };
  return { fetch, calls };
}

const enc = new TextEncoder();

// The same events in other legal spellings: line endings, comments, multi-line data, a BOM.
const variants = {
  lf: (sse) => sse,
  crlf: (sse) => sse.replace(/\n/g, "\r\n"),
  cr: (sse) => sse.replace(/\n/g, "\r"),
  "comments, id, retry, BOM": (sse) =>
    "\ufeff: a comment\r\nretry: 1000\n\n" + sse.replace(/\n\n/g, "\nid: 7\n\n: keep-alive\n\n"),
  // (between operations: '},{"op"' never occurs inside a JSON string, whose quotes are escaped)
  "multi-line data": (sse) =>
    sse.replace(/^data: (\[.*\])$/gm, (_, json) => "data:" + json.replace(/\},\{"op"/g, '},\r\ndata: {"op"')),
};

test("the fixtures carry SSE streams", () => {
  assert.ok(fixtures.length >= 10);
  assert.ok(fixtures.some((f) => f.error) && fixtures.some((f) => /[^\x00-\x7f]/.test(f.sse)));
});

for (const [variant, spell] of Object.entries(variants)) {
  test(`streamPatches over the Python side's SSE, cut anywhere (${variant})`, async () => {
    for (const fx of fixtures) {
      const bytes = enc.encode(spell(fx.sse));
      const expected = fx.steps.filter(([, ops]) => ops.length).map(([, , after]) => after);
      for (const [seed, maxLen] of [[1, 1], [2, 3], [3, 7], [4, 64], [5, bytes.length]]) {
        const { fetch } = stubFetch(cut(bytes, seed, maxLen));
        const seen = [];
        let done, failed;
        const result = await streamPatches("/stream", {
          fetch,
          onUpdate: (doc, ops, event) => {
            assert.ok(Array.isArray(ops) && ops.length && event.type === "message");
            seen.push(structuredClone(doc));
          },
          onDone: (doc) => (done = structuredClone(doc)),
          onError: (err, doc) => (failed = { err, doc }),
        });
        const what = `${fx.name} (${variant}, seed ${seed})`;
        assert.deepStrictEqual(seen, expected, what);
        if (fx.error) {
          assert.equal(done, undefined, what);
          assert.ok(failed.err instanceof StreamError, what);
          assert.equal(failed.err.type, fx.error, what);
          assert.deepStrictEqual(failed.doc ?? null, expected.at(-1) ?? null, what);
          assert.equal(failed.err.doc, failed.doc);
          assert.equal(typeof failed.err.info.offset, "number");
        } else {
          assert.equal(failed, undefined, what);
          assert.deepStrictEqual(done, fx.final, what);
          assert.deepStrictEqual(result, fx.final, what);
        }
      }
    }
  });
}

async function collect(chunks) {
  const out = [];
  for await (const ev of readEvents(body(chunks.map((c) => (typeof c === "string" ? enc.encode(c) : c)))))
    out.push(ev);
  return out;
}

test("the SSE reader follows the WHATWG examples", async () => {
  assert.deepStrictEqual(await collect(["data: YHOO\ndata: +2\ndata: 10\n\n"]), [
    { type: "message", data: "YHOO\n+2\n10", id: "" },
  ]);
  const events = await collect([": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n"]);
  assert.deepStrictEqual(events, [
    { type: "message", data: "first event", id: "1" },
    { type: "message", data: "second event", id: "" },
    { type: "message", data: " third event", id: "" },
  ]);
  // an empty data line dispatches an empty event; the last event, unterminated, is discarded
  assert.deepStrictEqual(
    (await collect(["data\n\ndata\ndata\n\ndata:"])).map((e) => e.data),
    ["", "\n"],
  );
  // named events, a field without a colon, unknown fields, CR LF cut between the two
  assert.deepStrictEqual(await collect(["event: patch\r", "\ndata: [1]\r", "\n", "\r", "\nfoo: bar\rdata\r\r"]), [
    { type: "patch", data: "[1]", id: "" },
    { type: "message", data: "", id: "" },
  ]);
});

test("a multi-byte character cut in every possible place", async () => {
  const text = "event: patch\ndata: é😀東\n\n";
  const bytes = enc.encode(text);
  for (let a = 1; a < bytes.length; a++) {
    for (let b = a + 1; b < bytes.length; b++) {
      const events = await collect([bytes.slice(0, a), bytes.slice(a, b), bytes.slice(b)]);
      assert.deepStrictEqual(events, [{ type: "patch", data: "é😀東", id: "" }]);
    }
  }
});

test("EventParser is incremental: a long line in many pieces", () => {
  const p = new EventParser();
  const long = "x".repeat(100_000);
  for (let k = 0; k < long.length; k += 1000) assert.deepStrictEqual(p.push((k ? "" : "data: ") + long.slice(k, k + 1000)), []);
  const [ev] = p.push("\n\n");
  assert.equal(ev.data, long);
});

test("the request: GET by default, POST with a JSON body, Accept: text/event-stream", async () => {
  const sse = 'event: patch\ndata: [{"op":"add","path":"","value":1}]\n\nevent: done\ndata: {}\n\n';
  let { fetch, calls } = stubFetch([enc.encode(sse)]);
  assert.equal(await streamPatches("/a", { fetch }), 1);
  assert.equal(calls[0].init.method, "GET");
  assert.equal(calls[0].init.headers.get("accept"), "text/event-stream");
  ({ fetch, calls } = stubFetch([enc.encode(sse)]));
  const signal = new AbortController().signal;
  await streamPatches("/b", { fetch, body: { prompt: "hi" }, headers: { "x-key": "k" }, signal });
  const { init } = calls[0];
  assert.equal(init.method, "POST");
  assert.equal(init.body, '{"prompt":"hi"}');
  assert.equal(init.headers.get("content-type"), "application/json");
  assert.equal(init.headers.get("x-key"), "k");
  assert.equal(init.signal, signal);
  ({ fetch, calls } = stubFetch([enc.encode(sse)]));
  await streamPatches("/c", { fetch, method: "PUT", body: "raw", headers: { accept: "x/y" } });
  assert.equal(calls[0].init.method, "PUT");
  assert.equal(calls[0].init.body, "raw");
  assert.equal(calls[0].init.headers.get("accept"), "x/y");
});

test("the global fetch is used when none is given", async () => {
  const saved = globalThis.fetch;
  const { fetch } = stubFetch([enc.encode('data: [{"op":"add","path":"","value":[]}]\n\nevent: done\ndata: {}\n\n')]);
  globalThis.fetch = fetch;
  try {
    assert.deepStrictEqual(await streamPatches("/x"), []);
  } finally {
    globalThis.fetch = saved;
  }
});

test("failures: HTTP status, no done event, bad data, bad ops, an error event, a failed fetch", async () => {
  const cases = [
    [stubFetch([enc.encode("event: done\ndata: {}\n\n")], { status: 503 }).fetch, "HTTPError"],
    [stubFetch([enc.encode('event: patch\ndata: [{"op":"add","path":"","value":{}}]\n\n')]).fetch, "IncompleteStream", {}],
    [stubFetch([enc.encode("event: patch\ndata: {not json\n\n")]).fetch, "BadEvent"],
    [stubFetch([enc.encode('event: patch\ndata: {"op":"add"}\n\n')]).fetch, "BadEvent"],
    [stubFetch([enc.encode("event: error\ndata: plain text\n\n")]).fetch, "StreamError"],
    [stubFetch([enc.encode('event: error\ndata: {"type":"ParseError","message":"bad"}\n\n')]).fetch, "ParseError"],
    [stubFetch([enc.encode('data: [{"op":"append","path":"","value":"x"}]\n\n')]).fetch, "PatchError"],
    [async () => { throw new TypeError("network down"); }, "TypeError"],
  ];
  for (const [fetch, type, doc] of cases) {
    const kind = (e) => (e instanceof StreamError ? e.type : e.name);
    let seen;
    const got = await streamPatches("/x", { fetch, onError: (err, d) => (seen = { err, d }) });
    assert.equal(kind(seen.err), type);
    assert.deepStrictEqual(got, doc);
    await assert.rejects(streamPatches("/x", { fetch }), (e) => kind(e) === type && "doc" in e);
  }
});

test("an abort stops the stream", async () => {
  for (const errorsBody of [true, false]) {
    const controller = new AbortController();
    let n = 0;
    let source;
    const stream = new ReadableStream({
      start(c) {
        source = c;
      },
      pull(c) {
        c.enqueue(enc.encode(`data: [{"op":"add","path":"","value":${n++}}]\n\n`));
      },
    });
    const fetch = async (url, init) => {
      // a real fetch errors the body when its signal aborts; a stub may not
      if (errorsBody) init.signal.addEventListener("abort", () => source.error(init.signal.reason));
      return new Response(stream);
    };
    const updates = [];
    const result = streamPatches("/x", {
      fetch,
      signal: controller.signal,
      onUpdate: (doc) => {
        updates.push(doc);
        if (doc === 3) controller.abort();
      },
    });
    await assert.rejects(result, (e) => e.name === "AbortError" && e.doc === 3);
    assert.deepStrictEqual(updates, [0, 1, 2, 3]);
  }
});
