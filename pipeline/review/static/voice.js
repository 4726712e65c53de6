/* Cầu Nối voice: record a sentence with MediaRecorder (Opus, ~20 kb/s: a few KB a sentence
   on 2G) and send it through the page's own upload form. Progressive enhancement only:
   without this file (or without a microphone) the form's file field still works. */
(function () {
  "use strict";
  var form = document.getElementById("take");
  if (!form || !window.MediaRecorder || !navigator.mediaDevices) return;
  var TYPES = ["audio/ogg;codecs=opus", "audio/webm;codecs=opus", "audio/webm"];
  var type = TYPES.filter(function (x) { return MediaRecorder.isTypeSupported(x); })[0];
  var button = document.createElement("button");
  button.type = "button";
  button.textContent = form.getAttribute("data-record");
  form.insertBefore(button, form.firstChild.nextSibling);
  var rec = null, parts = [];
  function send(blob) {
    var data = new FormData(form), ext = blob.type.indexOf("ogg") >= 0 ? "ogg" : "webm";
    data.set("audio", blob, "take." + ext);
    button.disabled = true;
    fetch(form.getAttribute("action"), { method: "POST", body: data, credentials: "same-origin" })
      .then(function (r) {
        if (r.redirected) { location.href = r.url; return null; }
        return r.text();  // a refused take: the page with its plain error
      })
      .then(function (html) {
        if (html !== null) { document.open(); document.write(html); document.close(); }
      })
      .catch(function () { button.disabled = false; });
  }
  button.addEventListener("click", function () {
    if (rec) { rec.stop(); return; }
    navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
      var opts = { audioBitsPerSecond: 20000 };
      if (type) opts.mimeType = type;
      rec = new MediaRecorder(stream, opts);
      parts = [];
      rec.ondataavailable = function (e) { if (e.data.size) parts.push(e.data); };
      rec.onstop = function () {
        stream.getTracks().forEach(function (tr) { tr.stop(); });
        var blob = new Blob(parts, { type: rec.mimeType || type || "audio/webm" });
        rec = null;
        button.textContent = form.getAttribute("data-record");
        send(blob);
      };
      rec.start();
      button.textContent = form.getAttribute("data-stop");
    }).catch(function () { button.remove(); });
  });
})();
