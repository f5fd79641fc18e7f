// Notices: the composer's audience preview follows the audience and the schedule as they
// change; the list and a notice's page follow delivery live (Server-Sent Events, else a poll
// every 2 s). Without this script the composer posts to a preview page and the counts show
// as they were when the page was made.
(function () {
  "use strict";

  function whenOf(form) {
    var kind = form.querySelector("input[name=kind]:checked");
    var value = kind ? kind.value : "now";
    if (value === "once") { return form.elements.at.value || "now"; }
    if (value === "recurring") { return form.elements.repeat.value || "now"; }
    return "now";
  }

  function composer(form) {
    var target = document.getElementById("audience-preview");
    var timer = null;
    var asked = 0;
    function refresh() {
      var number = ++asked;
      var query = "?to=" + encodeURIComponent(form.elements.to.value) +
        "&when=" + encodeURIComponent(whenOf(form)) + "&text=1";
      target.classList.add("nt-loading");
      fetch(form.dataset.audience + query, {credentials: "same-origin"})
        .then(function (response) { return response.text(); })
        .then(function (html) {
          if (number !== asked) { return; }  // an older answer than the one shown
          target.innerHTML = html;  // rendered and escaped by the server
          target.classList.remove("nt-loading");
        })
        .catch(function () { target.classList.remove("nt-loading"); });
    }
    function soon() {
      clearTimeout(timer);
      timer = setTimeout(refresh, 250);
    }
    form.addEventListener("change", function (event) {
      if (event.target.tagName !== "TEXTAREA") { soon(); }
    });
    form.elements.repeat.addEventListener("input", soon);
    form.elements.at.addEventListener("input", soon);
    // Typing a time chooses its way of sending.
    [["at", "once"], ["repeat", "recurring"]].forEach(function (pair) {
      form.elements[pair[0]].addEventListener("focus", function () {
        var radio = form.querySelector("input[name=kind][value=" + pair[1] + "]");
        if (radio && !radio.checked) { radio.checked = true; soon(); }
      });
    });
  }

  function follow(holder) {
    function update(items) {
      items.forEach(function (item) {
        var row = document.querySelector("[data-notice='" + item.id + "']");
        if (!row) { return; }
        var latest = item.runs.length ? String(item.runs[0].id) : "";
        if (latest !== row.dataset.latest || item.status !== row.dataset.status) {
          window.location.reload();  // a new sending or a new state: the page lays it out
          return;
        }
        item.runs.forEach(function (run) {
          Array.prototype.forEach.call(
            document.querySelectorAll("[data-run='" + run.id + "'] [data-count]"),
            function (cell) {
              var value = run[cell.dataset.count];
              cell.textContent = value;
              cell.parentNode.classList.toggle(
                "zero", !value && cell.dataset.count !== "delivered");
            });
        });
      });
    }
    if (window.EventSource) {
      var source = new EventSource(holder.dataset.live);
      source.addEventListener("change", function (event) {
        update(JSON.parse(event.data).items);
      });
      return;
    }
    (function poll() {
      fetch(holder.dataset.poll, {credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (data) { update(data.items || [data]); }
          setTimeout(poll, 2000);
        })
        .catch(function () { setTimeout(poll, 2000); });
    })();
  }

  var form = document.getElementById("composer");
  if (form) { composer(form); }
  var live = document.querySelector("[data-live]");
  if (live) { follow(live); }
})();
