// Small behaviours for every page. No inline script anywhere (CSP forbids it).
"use strict";
document.addEventListener("submit", function (event) {
  // <form data-confirm="…">: ask before an action that is hard to undo.
  var message = event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
