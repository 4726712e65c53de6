// Cầu Nối portal: resumable upload (tus 1.0.0, a SHA-256 per chunk) and live progress.
// No framework; the pages work without this file (plain form post, reload for progress).
"use strict";
// Upload arithmetic, pure (node runs tests/js/portal_upload.test.js on it). Chunks: 64 KB
// first and after a failure (seconds on 2G), doubled after one sent in < 4 s, at most m.
var caunoiUpload = {
  most: function (m) { m = Math.floor(+m); return m > 0 ? m : 524288; },
  first: function (m) { return Math.min(65536, caunoiUpload.most(m)); },
  next: function (c, m, ms, ok) {
    m = caunoiUpload.most(m);
    return ok ? Math.min(m, ms < 4000 ? c * 2 : c) : Math.min(65536, m);
  },
  // Seconds left (-1: too early to say): ``sent`` bytes of this page's went in ``secs``.
  left: function (size, at, sent, secs) { return secs > 2 && sent > 0 ? Math.max(0, (size - at) * secs / sent) : -1; }
};
if (typeof module === "object" && module.exports) module.exports = caunoiUpload;
if (typeof document !== "undefined") (function () {
  var U = caunoiUpload;
  var K = [], H0 = [];
  (function () { // SHA-256 constants, for browsers without crypto.subtle (plain HTTP)
    function frac(x) { return (x - Math.floor(x)) * 4294967296 | 0; }
    for (var n = 2, c = 0; c < 64; n++) {
      var p = true;
      for (var d = 2; d * d <= n; d++) if (n % d === 0) { p = false; break; }
      if (p) { if (c < 8) H0[c] = frac(Math.sqrt(n)); K[c++] = frac(Math.cbrt(n)); }
    }
  })();
  function sha256js(buf) {
    var b = new Uint8Array(buf), l = b.length, n = ((l + 9 + 63) >> 6) << 6;
    var m = new Uint8Array(n); m.set(b); m[l] = 0x80;
    var dv = new DataView(m.buffer); dv.setUint32(n - 4, l * 8); dv.setUint32(n - 8, Math.floor(l / 536870912));
    var h = H0.slice(), w = new Array(64);
    for (var o = 0; o < n; o += 64) {
      for (var i = 0; i < 16; i++) w[i] = dv.getUint32(o + i * 4);
      for (i = 16; i < 64; i++) {
        var x = w[i - 15], y = w[i - 2];
        var s0 = (x >>> 7 | x << 25) ^ (x >>> 18 | x << 14) ^ (x >>> 3);
        var s1 = (y >>> 17 | y << 15) ^ (y >>> 19 | y << 13) ^ (y >>> 10);
        w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
      }
      var a = h[0], bb = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
      for (i = 0; i < 64; i++) {
        var t1 = (k + ((e >>> 6 | e << 26) ^ (e >>> 11 | e << 21) ^ (e >>> 25 | e << 7)) +
          ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
        var t2 = (((a >>> 2 | a << 30) ^ (a >>> 13 | a << 19) ^ (a >>> 22 | a << 10)) +
          ((a & bb) ^ (a & c) ^ (bb & c))) | 0;
        k = g; g = f; f = e; e = (d + t1) | 0; d = c; c = bb; bb = a; a = (t1 + t2) | 0;
      }
      h = [h[0] + a, h[1] + bb, h[2] + c, h[3] + d, h[4] + e, h[5] + f, h[6] + g, h[7] + k];
    }
    var out = new Uint8Array(32), ov = new DataView(out.buffer);
    for (i = 0; i < 8; i++) ov.setUint32(i * 4, h[i] | 0);
    return Promise.resolve(out.buffer);
  }
  function sha256(buf) {
    return window.crypto && crypto.subtle ? crypto.subtle.digest("SHA-256", buf) : sha256js(buf);
  }
  function b64(buf) {
    var s = "", b = new Uint8Array(buf);
    for (var i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
    return btoa(s);
  }
  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  function mb(n) { // 1,3 (vi) or 1.3 (en)
    var x = (n / 1048576).toFixed(1);
    return document.documentElement.lang === "vi" ? x.replace(".", ",") : x;
  }
  function clock(s) { s = Math.round(s); return s >= 60 ? Math.floor(s / 60) + " min " + (s % 60) + " s" : s + " s"; }

  function upload(form, file) {
    var d = form.dataset, most = U.most(d.chunk), chunk = U.first(most);
    var key = "tus:" + file.name + ":" + file.size + ":" + file.lastModified;
    var status = form.querySelector("#upload-status,.upload-status"), bar = form.querySelector("progress");
    var hdr = { "Tus-Resumable": "1.0.0", "X-CSRF-Token": d.csrf }, t0 = Date.now(), sent0 = -1;
    function show(text, err) { status.textContent = text; status.className = err ? "err" : "meta"; }
    function progress(at) {
      bar.hidden = false;
      bar.value = 100 * at / file.size;
      var text = Math.floor(100 * at / file.size) + " % (" + mb(at) + " / " + mb(file.size) + " MB)";
      var left = sent0 < 0 ? -1 : U.left(file.size, at, at - sent0, (Date.now() - t0) / 1000);
      if (left >= 0) text += " · " + d.msgLeft.replace("{t}", clock(left));
      show(text);
    }
    function req(method, url, extra, body) {
      var h = {}, k;
      for (k in hdr) h[k] = hdr[k];
      for (k in extra || {}) h[k] = extra[k];
      return fetch(url, { method: method, headers: h, body: body, credentials: "same-origin" });
    }
    function patch(url, offset, body, sum) { // XHR: progress events while the chunk goes
      return new Promise(function (resolve) {
        var x = new XMLHttpRequest();
        x.open("PATCH", url);
        var h = { "Tus-Resumable": "1.0.0", "X-CSRF-Token": d.csrf, "Upload-Offset": "" + offset,
          "Content-Type": "application/offset+octet-stream", "Upload-Checksum": "sha256 " + sum };
        for (var k in h) x.setRequestHeader(k, h[k]);
        x.upload.onprogress = function (e) { progress(offset + e.loaded); };
        x.onload = function () { resolve({ status: x.status, offset: +x.getResponseHeader("Upload-Offset"), text: x.responseText }); };
        x.onerror = x.ontimeout = function () { resolve(null); };
        x.send(body);
      });
    }
    async function create() {
      var r = await req("POST", d.tus, { "Upload-Length": "" + file.size,
        "Upload-Metadata": "filename " + btoa(unescape(encodeURIComponent(file.name))) });
      if (r.status !== 201) throw new Error(await r.text() || ("HTTP " + r.status));
      var url = r.headers.get("Location");
      localStorage.setItem(key, url);
      return url;
    }
    async function offsetOf(url) {
      var r = await req("HEAD", url);
      return r.status === 200 ? +r.headers.get("Upload-Offset") : -1;
    }
    return (async function () {
      progress(0);
      var url = localStorage.getItem(key), offset = url ? await offsetOf(url) : -1, tries = 0;
      if (offset < 0) { url = await create(); offset = 0; }
      sent0 = offset; t0 = Date.now();
      while (offset < file.size) {
        progress(offset);
        var body = await file.slice(offset, offset + chunk).arrayBuffer(), started = Date.now();
        var r = await patch(url, offset, body, b64(await sha256(body)));
        if (r && r.status === 204) {
          offset = r.offset; tries = 0;
          chunk = U.next(chunk, most, Date.now() - started, true);
          continue;
        }
        if (r && [404, 413, 429].indexOf(r.status) >= 0) {
          localStorage.removeItem(key);
          throw new Error(r.text);
        }
        // Network gone, wrong offset, damaged chunk: wait, ask the offset, go on small.
        tries++; chunk = U.next(chunk, most, Date.now() - started, false);
        show(d.msgRetry + " (" + tries + ")", true);
        await sleep(Math.min(30000, 1000 * Math.pow(2, Math.min(tries, 5))));
        try { var o = await offsetOf(url); if (o >= 0) offset = o; } catch (e) { /* still offline */ }
      }
      bar.value = 100;
      show(d.msgSent);
      localStorage.removeItem(key);
      return url.split("/").pop();
    })();
  }

  // An unfinished upload (page closed): said at the top, with a link to the slot.
  var resume = document.getElementById("upload-resume");
  for (var i = 0; resume && resume.hidden && i < localStorage.length; i++) {
    var k = localStorage.key(i), p = k && k.indexOf("tus:") === 0 ? k.split(":") : null;
    if (p && p.length >= 4) {
      resume.firstChild.textContent = resume.dataset.msg.replace("{name}", p.slice(1, -2).join(":")).replace("{mb}", mb(+p[p.length - 2]));
      resume.hidden = false;
    }
  }

  document.querySelectorAll("form[data-tus]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      var input = form.querySelector("input[name=recording]"), file = input && input.files[0];
      if (!file) return;
      ev.preventDefault();
      var max = +form.dataset.max;
      if (max && file.size > max) { form.querySelector("#upload-status,.upload-status").textContent = form.dataset.msgBig; return; }
      form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      upload(form, file).then(function (id) {
        form.querySelector("input[name=upload_id]").value = id;
        input.value = "";
        form.submit();
      }, function (e) {
        var s = form.querySelector("#upload-status,.upload-status");
        s.textContent = form.dataset.msgFail + " " + e.message; s.className = "err";
        form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
      });
    });
  });

  // A one-time message (?msg=...) is shown once: a reload must not show it again.
  if (/[?&]msg=/.test(location.search) && window.history && history.replaceState) {
    var q = location.search.slice(1).split("&").filter(function (x) { return x.indexOf("msg=") !== 0; });
    history.replaceState(null, "", location.pathname + (q.length ? "?" + q.join("&") : "") + location.hash);
  }

  // While a run goes or a language waits for review: a small poll (~300 bytes).
  var box = document.getElementById("progress");
  if (box && box.dataset.watch === "yes") {
    var active = box.dataset.active === "yes";
    var poll = async function () {
      try {
        var r = await fetch(box.dataset.status, { credentials: "same-origin" });
        var data = await r.json(), run = data.runs.filter(function (x) { return x.kind !== "publish"; })[0];
        if (active && !data.active) { location.reload(); return; }
        // A run is followed (reload at its end); else a change is said once.
        if (!active && data.sig !== box.dataset.sig) { document.getElementById("notice").hidden = false; return; }
        if (run) {
          var m = document.getElementById("run-message"), rs = document.getElementById("run-state");
          if (m) m.textContent = run.message;
          if (rs) rs.textContent = box.dataset["s" + run.state[0].toUpperCase() + run.state.slice(1)] || run.state;
          Object.keys(run.steps).forEach(function (name) {
            var cell = document.getElementById("step-" + name), st = run.steps[name];
            if (cell && cell.dataset.state !== st) {
              cell.dataset.state = st;
              cell.textContent = box.dataset["l" + st[0].toUpperCase() + st.slice(1)] || st;
            }
          });
        }
      } catch (e) { /* offline for a moment: try again */ }
      setTimeout(poll, active ? 3000 : 20000);
    };
    setTimeout(poll, active ? 2000 : 20000);
  }
})();
