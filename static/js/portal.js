// Small behaviours for every page. No inline script anywhere (CSP forbids it).
"use strict";

// Whether a form holds what its markup says it needs: every [data-needed-for-submit]
// field filled, every [data-needed-when=ID] field filled while #ID is ticked, and one
// of the form's [data-needs-one-of] selector checked. The server decides; this only
// spares the question below for a form the server will send back anyway.
function formIsComplete(form) {
  var complete = true;
  Array.prototype.forEach.call(form.elements, function (field) {
    var empty = typeof field.value === "string" && field.value.trim() === "";
    var when = field.getAttribute("data-needed-when");
    var tick = when && document.getElementById(when);
    if (empty && (field.hasAttribute("data-needed-for-submit") || (tick && tick.checked))) {
      complete = false;
    }
  });
  var oneOf = form.getAttribute("data-needs-one-of");
  if (oneOf && !form.querySelector(oneOf + ":checked")) { complete = false; }
  return complete;
}

// <form data-guard-unsent="ID" data-guard-message="…">: before this form is
// sent, if form #ID holds typed words that were never sent, ask first (a
// dispute typed but not recorded would be lost when the return is filed).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var id = form.getAttribute && form.getAttribute("data-guard-unsent");
  var other = id && document.getElementById(id);
  if (!other || other === form) { return; }
  var typed = Array.prototype.some.call(other.elements, function (field) {
    return (field.tagName === "TEXTAREA" || field.type === "text") && field.value.trim() !== "";
  });
  if (!typed) { return; }
  if (window.confirm(form.getAttribute("data-guard-message"))) {
    event.portalConfirmed = true;  // asked once: the confirmation below is not asked again
  } else {
    event.preventDefault();
  }
});

// <form data-confirm="…"> or <button data-confirm="…">: ask before an action
// that is hard to undo. With data-confirm-if-complete, ask only when the form is
// complete: an incomplete report goes straight to the server, which names what
// is missing and keeps what was typed (issue 8, walk-through i).
document.addEventListener("submit", function (event) {
  // A guard above said no already, or asked and was answered yes.
  if (event.defaultPrevented || event.portalConfirmed) { return; }
  var source = event.submitter && event.submitter.getAttribute("data-confirm")
    ? event.submitter : event.target;
  if (source.hasAttribute("data-confirm-if-complete") && !formIsComplete(event.target)) {
    return;
  }
  var message = source.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// <input type="checkbox" data-toggles="id_x">: show the box wrapped as
// #wrap_id_x only while ticked (a ticked measure opens its narrative).
function syncToggle(box) {
  var wrap = document.getElementById("wrap_" + box.getAttribute("data-toggles"));
  if (wrap) { wrap.classList.toggle("is-hidden", !box.checked); }
}
document.addEventListener("change", function (event) {
  if (event.target.matches("[data-toggles]")) { syncToggle(event.target); }
});
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-toggles]").forEach(syncToggle);
});

// <button data-print>: print the page (the notice's own print styles apply).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) { window.print(); }
});

// <button data-history-back>: back to the page the user came from (the expired
// form, where the browser usually still holds what was typed).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-history-back]")) { window.history.back(); }
});

// <form data-photo-check>: before photos are sent, refuse what the server or
// the proxy would refuse anyway (more than data-max-files photos, a photo over
// data-max-bytes: the message names the limits) and a photo without its
// caption. The chosen files stay selected; the reason is shown next to the
// field and in the banner #<data-banner> at the top (issue 8 item 1).
function photoProblem(form) {
  var input = form.querySelector("input[type=file]");
  var files = input ? Array.prototype.slice.call(input.files) : [];
  if (!files.length) { return null; }
  var maxFiles = parseInt(form.getAttribute("data-max-files"), 10);
  var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10);
  var large = files.filter(function (file) { return file.size > maxBytes; });
  if (files.length > maxFiles || large.length) {
    var names = large.map(function (file) { return file.name; }).join("、");
    return { field: input, text: form.getAttribute("data-msg-too-large") +
             (names ? " (" + names + ")" : "") };
  }
  var caption = form.querySelector("[name=caption]");
  if (caption && !caption.value.trim()) {
    return { field: caption, text: form.getAttribute("data-msg-caption") };
  }
  return null;
}
function showPhotoProblem(form, problem) {
  form.querySelectorAll("[data-client-error]").forEach(function (old) { old.remove(); });
  form.querySelectorAll(".is-invalid").forEach(function (el) { el.classList.remove("is-invalid"); });
  var note = document.createElement("div");
  note.className = "invalid-feedback d-block";
  note.setAttribute("data-client-error", "");
  note.setAttribute("data-testid", "photo-field-error");
  note.textContent = problem.text;
  problem.field.classList.add("is-invalid");
  problem.field.insertAdjacentElement("afterend", note);
  var banner = document.getElementById(form.getAttribute("data-banner"));
  if (banner) {
    var text = banner.querySelector("[data-banner-text]");
    text.textContent = problem.text + " " + (form.getAttribute("data-msg-kept") || "");
    banner.hidden = false;
  }
  problem.field.focus();
}
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.hasAttribute || !form.hasAttribute("data-photo-check") || event.defaultPrevented) {
    return;
  }
  var problem = photoProblem(form);
  if (problem) {
    event.preventDefault();
    showPhotoProblem(form, problem);
  }
});
document.addEventListener("change", function (event) {
  var form = event.target.form;
  if (!form || !form.hasAttribute("data-photo-check") || event.target.type !== "file") {
    return;
  }
  var problem = photoProblem(form);
  if (problem && problem.field === event.target) {
    showPhotoProblem(form, problem);
  } else {
    form.querySelectorAll("[data-client-error]").forEach(function (old) { old.remove(); });
    event.target.classList.remove("is-invalid");
  }
});

// The browser copies of report drafts (static/js/report_draft.js) are one
// person's: <form data-clear-drafts> (sign-out) removes every copy on this
// device, and a page with <span data-draft-clear="key"> (a submitted report)
// removes that copy.
var DRAFT_PREFIX = "sp-draft:";
function clearDrafts(only) {
  try {
    var store = window.localStorage;
    for (var i = store.length - 1; i >= 0; i -= 1) {
      var name = store.key(i);
      if (name && name.indexOf(DRAFT_PREFIX) === 0 && (!only || name === only)) {
        store.removeItem(name);
      }
    }
  } catch (e) { /* storage disabled: nothing kept */ }
}
document.addEventListener("submit", function (event) {
  if (event.target.hasAttribute && event.target.hasAttribute("data-clear-drafts") &&
      !event.defaultPrevented) {
    clearDrafts(null);
  }
});
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-draft-clear]").forEach(function (el) {
    clearDrafts(el.getAttribute("data-draft-clear"));
  });
});

// <form data-carry-from="id">: on submit, send the named fields of form #id
// along (as hidden copies) with a "draft_carried" marker, so the server saves
// what was typed there first. Adding a photo must never discard report text.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var sourceId = form.getAttribute && form.getAttribute("data-carry-from");
  if (!sourceId || event.defaultPrevented) { return; }
  var source = document.getElementById(sourceId);
  if (!source) { return; }
  form.querySelectorAll("input[data-carried]").forEach(function (old) { old.remove(); });
  function carry(name, value) {
    var copy = document.createElement("input");
    copy.type = "hidden";
    copy.name = name;
    copy.value = value;
    copy.setAttribute("data-carried", "");
    form.appendChild(copy);
  }
  Array.prototype.forEach.call(source.elements, function (field) {
    if (!field.name || field.name === "csrfmiddlewaretoken" || field.disabled) { return; }
    if ((field.type === "checkbox" || field.type === "radio") && !field.checked) { return; }
    if (field.type === "submit" || field.type === "button" || field.type === "file") { return; }
    carry(field.name, field.value);
  });
  carry("draft_carried", "1");
});

// <section data-keep-typing="KEY"> around several forms (a case page with a
// form per step): sending one form must not lose what was typed in the others.
// On submit, the typed text of the other forms goes to this tab's
// sessionStorage under KEY; the next page with the same KEY (the case again,
// or its errors) puts it back into the fields the server left as they were,
// opens their <details> and forgets the copy at once. Sign-out forgets it too.
var KEEP_PREFIX = "sp-keep:";
function typedFields(form) {
  var fields = {};
  Array.prototype.forEach.call(form.elements, function (field) {
    if (!field.name || field.name === "csrfmiddlewaretoken" || field.disabled) { return; }
    var text = field.tagName === "TEXTAREA" || field.type === "text";
    if (text && field.value.trim() !== "" && field.value !== field.defaultValue) {
      fields[field.name] = field.value;
    }
  });
  return fields;
}
document.addEventListener("submit", function (event) {
  var form = event.target;
  var scope = !event.defaultPrevented && form.closest && form.closest("[data-keep-typing]");
  if (!scope) { return; }
  var kept = {};
  scope.querySelectorAll("form[action]").forEach(function (other) {
    if (other === form) { return; }
    var fields = typedFields(other);
    if (Object.keys(fields).length) { kept[other.getAttribute("action")] = fields; }
  });
  try {
    var name = KEEP_PREFIX + scope.getAttribute("data-keep-typing");
    if (Object.keys(kept).length) {
      window.sessionStorage.setItem(name, JSON.stringify(kept));
    } else {
      window.sessionStorage.removeItem(name);
    }
  } catch (e) { /* storage disabled: nothing kept */ }
});
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-keep-typing]").forEach(function (scope) {
    var name = KEEP_PREFIX + scope.getAttribute("data-keep-typing");
    var kept;
    try {
      kept = JSON.parse(window.sessionStorage.getItem(name) || "{}");
      window.sessionStorage.removeItem(name);
    } catch (e) { return; }
    scope.querySelectorAll("form[action]").forEach(function (form) {
      var fields = kept[form.getAttribute("action")];
      if (!fields) { return; }
      Object.keys(fields).forEach(function (field) {
        var input = form.elements[field];
        if (input && input.value === input.defaultValue) {
          input.value = fields[field];
          input.setAttribute("data-kept", "");
          var details = form.closest("details");
          if (details) { details.open = true; }
        }
      });
    });
  });
});
document.addEventListener("submit", function (event) {
  if (event.target.hasAttribute && event.target.hasAttribute("data-clear-drafts") &&
      !event.defaultPrevented) {
    try {
      for (var i = window.sessionStorage.length - 1; i >= 0; i -= 1) {
        var key = window.sessionStorage.key(i);
        if (key && key.indexOf(KEEP_PREFIX) === 0) { window.sessionStorage.removeItem(key); }
      }
    } catch (e) { /* storage disabled */ }
  }
});

// <input type="radio" data-mark-label="…"> inside a <details> whose summary
// holds [data-mark-badge]: the badge says what was chosen (a pupil marked
// 迟到 on the register shows it without opening the row again).
document.addEventListener("change", function (event) {
  var input = event.target;
  if (!input.matches || !input.matches("input[data-mark-label]")) { return; }
  var details = input.closest("details");
  var badge = details && details.querySelector("[data-mark-badge]");
  if (!badge) { return; }
  badge.textContent = input.getAttribute("data-mark-label");
  badge.classList.toggle("text-bg-danger", input.value !== "");
  badge.classList.toggle("text-bg-light", input.value === "");
});
