// Small behaviours for every page. No inline script anywhere (CSP forbids it).
"use strict";

// <form data-confirm="…"> or <button data-confirm="…">: ask before an action
// that is hard to undo.
document.addEventListener("submit", function (event) {
  var source = event.submitter && event.submitter.getAttribute("data-confirm")
    ? event.submitter : event.target;
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
