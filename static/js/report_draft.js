// The report form's draft is never lost (issue 8 item 1, screens.md "a draft
// is never lost"). Loaded by the report form page only; no inline script (CSP).
//
// 1. Server autosave: <form data-autosave-url> posts its fields (with the
//    draft `version` the page was typed over) a few seconds after a change
//    (data-autosave-delay, ms) and whenever a field is left; #autosave-status
//    says 已自动保存 hh:mm, or why not. A refusal (a newer save elsewhere, a
//    submitted report) stops autosaving on this page.
// 2. Browser copy: every change is kept in localStorage under data-draft-key
//    until the server holds it; when the page opens with a copy that differs
//    from what the server sent (a failed submit, a reload while offline, a
//    dropped connection), the copy is put back with a notice (#draft-restored)
//    and a button to discard it.
"use strict";
(function () {
  var form = document.querySelector("form[data-autosave-url]");
  if (!form) { return; }
  var url = form.getAttribute("data-autosave-url");
  var key = form.getAttribute("data-draft-key");
  var loginUrl = form.getAttribute("data-login-url");
  var delay = parseInt(form.getAttribute("data-autosave-delay"), 10) || 5000;
  var status = document.getElementById("autosave-status");
  var notice = document.getElementById("draft-restored");
  var version = form.querySelector("input[name=version]");
  var timer = null;
  var inFlight = false;
  var pending = false;
  var stopped = false;
  var submitting = false;
  // The version a restored copy was typed over, while it differs from the
  // page's: the copy keeps it, so it stays "older than the server" until the
  // user saves or discards it.
  var copyBase = null;

  function msg(name) { return form.getAttribute("data-msg-" + name) || ""; }

  // The draft's fields as {name: value}; a checkbox is "on" or "". With
  // `served`, the values the server wrote into the page (what it holds), not
  // what is in the fields now (typed before this script ran, or put back by
  // the browser's own form restoration).
  function fields(served) {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || field.name === "csrfmiddlewaretoken" || field.name === "version") {
        return;
      }
      if (field.type === "submit" || field.type === "button" || field.type === "file") { return; }
      if (field.type === "checkbox") {
        out[field.name] = (served ? field.defaultChecked : field.checked) ? "on" : "";
      } else {
        out[field.name] = served ? field.defaultValue : field.value;
      }
    });
    return out;
  }

  // Equal as the server stores them (it trims each text).
  function same(a, b) {
    var names = Object.keys(a).concat(Object.keys(b));
    return names.every(function (name) {
      return String(a[name] || "").trim() === String(b[name] || "").trim();
    });
  }

  function put(values) {
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || !Object.prototype.hasOwnProperty.call(values, field.name)) { return; }
      if (field.type === "checkbox") {
        field.checked = Boolean(values[field.name]);
        field.dispatchEvent(new Event("change", { bubbles: true }));  // opens its narrative
      } else if (field.type !== "file" && field.type !== "submit") {
        field.value = values[field.name];
      }
    });
  }

  function store() {
    try { return window.localStorage; } catch (e) { return null; }
  }
  function readCopy() {
    try { return JSON.parse(store().getItem(key)); } catch (e) { return null; }
  }
  function keepCopy() {
    try {
      store().setItem(key, JSON.stringify({
        fields: fields(), version: copyBase === null ? version.value : copyBase, at: Date.now(),
      }));
    } catch (e) { /* storage full or disabled: the server copy still counts */ }
  }
  function dropCopy() {
    try { store().removeItem(key); } catch (e) { /* nothing kept */ }
  }

  function say(text, state) {
    status.textContent = text;
    status.setAttribute("data-state", state);
    status.classList.toggle("text-danger", state === "failed" || state === "refused");
    status.classList.toggle("text-muted", !(state === "failed" || state === "refused"));
  }

  var served = fields(true);
  var saved = served;  // what the server is known to hold

  function schedule(wait) {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(save, wait);
  }

  function save() {
    timer = null;
    if (stopped || submitting) { return; }
    if (inFlight) { pending = true; return; }
    var sent = fields();
    if (same(sent, saved)) { return; }
    inFlight = true;
    say(msg("saving"), "saving");
    fetch(url, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "Accept": "application/json" },
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") !== 0) {
        // The sign-in page (the session ended) or an error page.
        var signedOut = response.redirected && loginUrl && response.url.indexOf(loginUrl) !== -1;
        throw new Error(signedOut ? "signed-out" : "failed");
      }
      return response.json();
    }).then(function (answer) {
      if (answer.ok) {
        version.value = answer.version;
        saved = sent;
        if (same(fields(), sent)) { dropCopy(); }
        say(answer.message, "saved");
      } else {
        stopped = answer.error !== "invalid";
        say(answer.message, "refused");
      }
    }).catch(function (error) {
      say(msg(error.message === "signed-out" ? "signed-out" : "failed"), "failed");
    }).then(function () {
      inFlight = false;
      if (pending) { pending = false; schedule(0); }
    });
  }

  function changed() {
    if (submitting) { return; }
    keepCopy();
    schedule(delay);
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("focusout", function (event) {
    if (event.target.name) { schedule(0); }  // leaving a field saves at once
  });
  document.addEventListener("submit", function (event) {
    // After portal.js's confirmation: a cancelled submit keeps autosaving.
    if (event.target !== form || event.defaultPrevented) { return; }
    // The copy stays until the answer shows the server has it (a failed
    // submit comes back to a page that restores it).
    submitting = true;
    if (timer) { clearTimeout(timer); }
    keepCopy();
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { submitting = false; }
  });
  window.addEventListener("online", function () { schedule(0); });

  // On opening: put back what this device kept and the server does not hold.
  var copy = readCopy();
  if (!(copy && copy.fields) || same(copy.fields, saved)) {
    if (copy) { dropCopy(); }
    if (!same(fields(), saved)) { changed(); }  // typed before this script ran
  } else {
    var conflict = String(copy.version) !== String(version.value);
    if (conflict) { copyBase = copy.version; }
    put(copy.fields);
    notice.querySelector("[data-notice-text]").textContent =
      msg(conflict ? "restored-conflict" : "restored");
    notice.hidden = false;
    if (conflict) {
      stopped = true;  // never type over the newer save without the user's word
    } else {
      schedule(0);
    }
  }
  notice.querySelector("[data-draft-discard]").addEventListener("click", function () {
    copyBase = null;
    put(served);
    dropCopy();
    stopped = false;
    notice.hidden = true;
    schedule(0);  // the server may hold the restored text by now: put the served one back
  });
}());
