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
