// Keyboard triage for the inbox (j/k move, x select, a/f/s act, Enter open) and "select all".
// Served from 'self'; the pages carry no inline script (CSP script-src 'self').
(function () {
  "use strict";
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("tr.row")); }
  function current() { var el = document.activeElement; return el && el.classList && el.classList.contains("row") ? el : null; }
  function move(step) {
    var all = rows(); if (!all.length) { return; }
    var at = all.indexOf(current());
    var next = all[Math.max(0, Math.min(all.length - 1, at < 0 ? 0 : at + step))];
    next.focus();
  }
  function press(key) {
    var row = current(); if (!row) { return; }
    var button = row.querySelector('button[data-key="' + key + '"]');
    if (button) { button.click(); }
  }
  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "select" || tag === "textarea" || event.ctrlKey || event.metaKey || event.altKey) { return; }
    var row = current();
    if (event.key === "j") { move(1); } else if (event.key === "k") { move(-1); }
    else if (event.key === "x" && row) { var box = row.querySelector('input[type="checkbox"]'); box.checked = !box.checked; }
    else if ((event.key === "a" || event.key === "f" || event.key === "s") && row) { press(event.key); }
    else if (event.key === "Enter" && row && event.target === row) { window.location.href = row.getAttribute("data-href"); }
    else { return; }
    event.preventDefault();
  });
  document.addEventListener("DOMContentLoaded", function () {
    var all = document.getElementById("select-all");
    if (!all) { return; }
    all.addEventListener("change", function () {
      document.querySelectorAll('input[name="ids"]').forEach(function (box) { box.checked = all.checked; });
    });
  });
}());
