/* Cầu Nối review: save, approve or reject a cue without reloading the page; copy a
   suggestion into the box; preview the typed text on the cue's still.
   Progressive enhancement only: without this file every form still works. No framework. */
(function () {
  "use strict";
  var QUICK = { save: 1, approve: 1, reject: 1 };
  function note(form) {
    var box = form.parentNode, el = box.querySelector(".live");
    if (!el) {
      el = document.createElement("p");
      el.setAttribute("role", "status");
      box.insertBefore(el, form);
    }
    return el;
  }
  function show(el, ok, text) {
    el.className = (ok ? "msg" : "err") + " live";
    el.textContent = text;
  }
  var edit = document.querySelector("form.cue-edit"), still = document.getElementById("still");
  var box = edit && edit.querySelector("textarea");
  // The still shows what is typed: one request per pause in typing (the server limits them).
  if (box && still && still.getAttribute("data-preview")) {
    var timer = 0, shown = box.value.trim(), good = still.src;
    var cap = document.getElementById("still-cap");
    still.loading = "eager";
    still.addEventListener("load", function () { good = still.src; });
    still.addEventListener("error", function () { if (still.src !== good) still.src = good; });
    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var text = box.value.trim();
        if (text === shown) return;
        shown = text;
        still.src = still.getAttribute("data-preview") + "?text=" +
          encodeURIComponent(text.slice(0, 300));
        if (cap) cap.textContent = cap.getAttribute(text ? "data-typed" : "data-empty");
      }, 1200);
    });
  }
  document.addEventListener("submit", function (e) {
    var form = e.target, button = e.submitter;
    if (form.hasAttribute("data-use") && box) {  // a suggestion into the box, no reload
      e.preventDefault();
      box.value = form.querySelector("[name=text]").value;
      box.dispatchEvent(new Event("input"));
      box.focus();
      show(note(edit), true, form.getAttribute("data-copied"));
      return;
    }
    if (!form.hasAttribute("data-quick") || !button || !QUICK[button.value]) return;
    e.preventDefault();
    if (form.getAttribute("data-busy")) return;  // one request at a time per cue
    form.setAttribute("data-busy", "1");
    var data = new URLSearchParams(new FormData(form));
    data.set(button.name, button.value);
    var el = note(form);
    show(el, true, "…");
    // form.action is shadowed by the buttons named "action": read the attribute.
    fetch(form.getAttribute("action"), { method: "POST", body: data, credentials: "same-origin",
                         headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        if (j.fallback) {
          form.removeAttribute("data-quick");
          form.removeAttribute("data-busy");
          form.requestSubmit(button);
          return;
        }
        if (j.version) form.querySelector("[name=version]").value = j.version;
        var cue = form.closest(".cue");
        if (cue && j.state) cue.className = "cue " + j.state;
        show(el, j.ok, [j.message].concat(j.checks || []).join(" "));
      })
      .catch(function () { show(el, false, form.getAttribute("data-offline") || "!"); })
      .then(function () { form.removeAttribute("data-busy"); });
  });
})();
