// applyPatch against the patch streams the Python side made (tests/js/make_fixtures.py), and
// its own semantics. Run: node --test tests/js/   (MIDSTREAM_PATCH_FIXTURES: another fixture file)
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { PatchError, applyPatch, collectMarks } from "../../src/midstream/static/midstream.js";

const FIXTURES = process.env.MIDSTREAM_PATCH_FIXTURES ?? new URL("./fixtures/patches.json", import.meta.url);
export const fixtures = JSON.parse(readFileSync(FIXTURES, "utf-8")).fixtures;

// Python's None before the first value is JSON null; the document is undefined until then.
const orNull = (v) => (v === undefined ? null : v);

test("the fixtures are there", () => {
  assert.ok(fixtures.length >= 20, `${fixtures.length} fixtures in ${FIXTURES}`);
});

test("applying each delta's operations gives the partial value after it (every fixture)", () => {
  for (const fx of fixtures) {
    let doc;
    fx.steps.forEach(([delta, ops, after], k) => {
      doc = applyPatch(doc, ops);
      assert.deepStrictEqual(orNull(doc), after, `${fx.name}: after step ${k} (${JSON.stringify(delta)})`);
    });
    if (!fx.error) assert.deepStrictEqual(orNull(doc), fx.final, `${fx.name}: final`);
  }
});

function pointers(value, path = "", out = new Set()) {
  out.add(path);
  if (Array.isArray(value)) value.forEach((v, i) => pointers(v, `${path}/${i}`, out));
  else if (value !== null && typeof value === "object") {
    for (const k of Object.keys(value)) pointers(value[k], `${path}/${k.replace(/~/g, "~0").replace(/\//g, "~1")}`, out);
  }
  return out;
}

test("with marks, every value of the document is marked done, once", () => {
  const fx = fixtures.find((f) => f.name === "marks");
  const marks = new Map();
  let count = 0;
  for (const [, ops] of fx.steps) {
    collectMarks(ops, marks);
    count += ops.filter((op) => op.op === "done").length;
  }
  assert.deepStrictEqual(new Set(marks.keys()), pointers(fx.final));
  assert.equal(count, marks.size);
});

test("add: object members, array insert, '-' and the length append, root replaces", () => {
  let doc = applyPatch(undefined, [{ op: "add", path: "", value: { foo: "bar" } }]);
  doc = applyPatch(doc, [
    { op: "add", path: "/baz", value: "qux" },
    { op: "add", path: "/foo", value: ["a", "c"] }, // an existing member is replaced
    { op: "add", path: "/foo/1", value: "b" },
    { op: "add", path: "/foo/-", value: "d" },
    { op: "add", path: "/foo/4", value: "e" },
    { op: "add", path: "/foo/0", value: "0" },
    { op: "replace", path: "/baz", value: "boo" },
    { op: "replace", path: "/foo/0", value: "z" },
  ]);
  assert.deepStrictEqual(doc, { foo: ["z", "a", "b", "c", "d", "e"], baz: "boo" });
  assert.deepStrictEqual(applyPatch(doc, [{ op: "replace", path: "", value: [1] }]), [1]);
  assert.equal(applyPatch("ab", [{ op: "append", path: "", value: "c" }]), "abc");
  assert.equal(applyPatch(undefined, [{ op: "add", path: "", value: null }]), null);
});

test("append grows strings in objects and arrays; done changes nothing", () => {
  const doc = applyPatch({ a: ["x"], b: "" }, [
    { op: "append", path: "/a/0", value: "yz" },
    { op: "append", path: "/b", value: "é😀" },
    { op: "done", path: "/a/0" },
    { op: "done", path: "/nowhere/at/all", valid: true },
  ]);
  assert.deepStrictEqual(doc, { a: ["xyz"], b: "é😀" });
});

test("JSON Pointer escapes, empty keys and __proto__ as a plain member", () => {
  let doc = applyPatch(undefined, [
    { op: "add", path: "", value: {} },
    { op: "add", path: "/a~1b", value: {} },
    { op: "add", path: "/a~1b/~0~1", value: "t" },
    { op: "add", path: "/", value: { "": 1 } },
    { op: "add", path: "/__proto__", value: { polluted: true } },
    { op: "add", path: "/__proto__/x", value: 1 },
  ]);
  assert.deepStrictEqual(doc, JSON.parse('{"a/b": {"~/": "t"}, "": {"": 1}, "__proto__": {"polluted": true, "x": 1}}'));
  assert.equal(Object.getPrototypeOf(doc), Object.prototype);
  assert.equal({}.polluted, undefined);
  doc = applyPatch(doc, [{ op: "append", path: "/a~1b/~0~1", value: "u" }]);
  assert.equal(doc["a/b"]["~/"], "tu");
});

test("values are copied into the document", () => {
  const ops = [{ op: "add", path: "", value: { list: [] } }, { op: "add", path: "/list/0", value: 1 }];
  const one = applyPatch(undefined, ops);
  const two = applyPatch(undefined, ops);
  assert.deepStrictEqual(one, { list: [1] });
  assert.deepStrictEqual(two, { list: [1] });
  assert.deepStrictEqual(ops[0].value, { list: [] });
});

test("a non-finite number (1e400 in the JSON text) arrives as Infinity", () => {
  const ops = JSON.parse('[{"op":"add","path":"","value":[]},{"op":"add","path":"/0","value":-1e400}]');
  assert.deepStrictEqual(applyPatch(undefined, ops), [-Infinity]);
});

test("errors are PatchErrors that say what is wrong", () => {
  const cases = [
    [{ a: 1 }, { op: "add", path: "a", value: 1 }, /starts with '\/'/],
    [{ a: 1 }, { op: "add", path: "/b/c", value: 1 }, /no member "b"/],
    [{ a: 1 }, { op: "replace", path: "/b", value: 1 }, /no member "b"/],
    [{ a: 1 }, { op: "append", path: "/a", value: "x" }, /not a string/],
    [{ a: "s" }, { op: "append", path: "/a", value: 1 }, /needs a string value/],
    [{ a: 1 }, { op: "remove", path: "/a" }, /unsupported operation "remove"/],
    [{ a: 1 }, { op: "add", path: "/a" }, /needs a 'value'/],
    [{ a: 1 }, { path: "/a", value: 1 }, /'op' and 'path'/],
    [[1], { op: "add", path: "/2", value: 1 }, /out of range/],
    [[1], { op: "add", path: "/01", value: 1 }, /not an array index/],
    [[1], { op: "replace", path: "/-", value: 1 }, /not an array index/],
    [[1], { op: "replace", path: "/1", value: 1 }, /out of range/],
    [{ a: 1 }, { op: "add", path: "/a/b", value: 1 }, /not a container/],
    [{ a: 1 }, { op: "add", path: "/a~2", value: 1 }, /escape/],
    [undefined, { op: "add", path: "/a", value: 1 }, /not a container/],
    [1, { op: "append", path: "", value: "x" }, /not a string/],
    [{ a: 1 }, { op: "replace", path: "/toString", value: 1 }, /no member "toString"/],
  ];
  for (const [doc, op, message] of cases) {
    assert.throws(
      () => applyPatch(doc, [{ op: "done", path: "" }, op]),
      (e) => e instanceof PatchError && message.test(e.message) && e.index === 1 && e.op === op,
      JSON.stringify(op),
    );
  }
  assert.throws(() => applyPatch({}, { op: "add" }), PatchError);
});
