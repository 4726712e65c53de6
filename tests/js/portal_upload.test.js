// The portal's upload arithmetic (pipeline/portal/static/portal.js: caunoiUpload), run by
// node's own test runner from tests/test_portal_js.py (no npm package needed).
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");
const U = require(path.join(__dirname, "..", "..", "pipeline", "portal", "static", "portal.js"));

const KB = 1024;

// The chunks an upload of ``size`` bytes sends over a link of ``bps`` bytes a second.
function simulate(size, most, bps) {
  const sent = [];
  let at = 0, chunk = U.first(most);
  while (at < size) {
    const n = Math.min(chunk, size - at), ms = 1000 * n / bps;
    sent.push({ n, ms });
    at += n;
    chunk = U.next(chunk, most, ms, true);
  }
  return sent;
}

test("the first chunk is 64 KB, or the page's largest when that is smaller", () => {
  assert.equal(U.first(512 * KB), 64 * KB);
  assert.equal(U.first(32 * KB), 32 * KB);
});

test("a missing or broken data-chunk means 512 KB", () => {
  for (const bad of [undefined, "", "abc", "0", "-5", NaN]) assert.equal(U.most(bad), 512 * KB);
  assert.equal(U.most("100000"), 100000);
  assert.equal(U.first("abc"), 64 * KB);
});

test("fast chunks double up to the largest and stay there", () => {
  const sizes = [];
  let chunk = U.first(512 * KB);
  for (let i = 0; i < 6; i++) { sizes.push(chunk); chunk = U.next(chunk, 512 * KB, 300, true); }
  assert.deepEqual(sizes.map((x) => x / KB), [64, 128, 256, 512, 512, 512]);
  assert.equal(U.next(64 * KB, 100000, 10, true), 100000); // never past the largest
  assert.equal(U.next(2048 * KB, 512 * KB, 10000, true), 512 * KB);
});

test("a slow chunk keeps its size and a failed one starts small again", () => {
  assert.equal(U.next(128 * KB, 512 * KB, 4000, true), 128 * KB);
  assert.equal(U.next(512 * KB, 512 * KB, 100, false), 64 * KB);
  assert.equal(U.next(512 * KB, 32 * KB, 100, false), 32 * KB);
});

test("on 2G (2 KB/s) progress moves every chunk and no chunk grows", () => {
  const sent = simulate(1363149, 512 * KB, 2 * KB);
  assert.ok(sent.every((c) => c.n <= 64 * KB));
  assert.ok(Math.max(...sent.map((c) => c.ms)) <= 32000);
});

test("on 3G (100 KB/s) a 1.3 MB file goes in a few requests", () => {
  const size = 1363149; // 1.3 MB
  const sent = simulate(size, 512 * KB, 100 * KB);
  assert.deepEqual(sent.slice(0, 4).map((c) => c.n / KB), [64, 128, 256, 512]);
  assert.equal(sent.reduce((a, c) => a + c.n, 0), size);
  assert.ok(sent.length <= 5);
});

test("time left: nothing said in the first 2 s or before a byte went", () => {
  assert.equal(U.left(1000, 100, 100, 2), -1);
  assert.equal(U.left(1000, 0, 0, 30), -1);
  assert.equal(U.left(1000, 500, 400, 4), 5); // 100 B/s, 500 B to go
  assert.equal(U.left(1000, 1000, 1000, 10), 0);
});
