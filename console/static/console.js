// Linli console: small enhancements; every page also works without this script.
"use strict";
(function () {
  // Selecting a span of the message fills in the correction form's start and end.
  function spanOf(container) {
    var selection = window.getSelection();
    if (!selection || selection.rangeCount === 0) { return null; }
    var range = selection.getRangeAt(0);
    if (!container.contains(range.startContainer) || !container.contains(range.endContainer)) {
      return null;
    }
    var before = document.createRange();
    before.selectNodeContents(container);
    before.setEnd(range.startContainer, range.startOffset);
    var start = before.toString().length;
    var end = start + range.toString().length;
    return end > start ? [start, end] : null;
  }
  document.addEventListener("DOMContentLoaded", function () {
    var text = document.getElementById("selectable");
    var start = document.getElementById("new-start");
    var end = document.getElementById("new-end");
    var shown = document.getElementById("new-span");
    if (text && start && end) {
      var update = function () {
        var span = spanOf(text);
        if (!span) { return; }
        start.value = span[0];
        end.value = span[1];
        if (shown) { shown.textContent = "「" + text.textContent.slice(span[0], span[1]) + "」"; }
      };
      text.addEventListener("mouseup", update);
      text.addEventListener("keyup", update);
      text.addEventListener("touchend", update);
      document.addEventListener("selectionchange", update);
    }
    // On a phone the results come first: the filters fold away until asked for.
    var filters = document.getElementById("filter-box");
    if (filters && window.matchMedia("(max-width: 760px)").matches) { filters.open = false; }
    // A confirmation for forms that change many rows at once.
    Array.prototype.forEach.call(document.querySelectorAll("form[data-confirm]"), function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  });
})();
