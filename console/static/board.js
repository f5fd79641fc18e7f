// The ticket board, live: the server pushes a stamp whenever the viewer's tickets or handoffs
// change (console/live.py); the board then fetches itself again and swaps its contents in, so
// a new emergency appears without a reload. Without JavaScript the board is a plain page.
// On a ticket's page, news of the ticket (someone else worked it) is announced with a link to
// reload, rather than reloading under a form being filled in.
(function () {
  "use strict";
  var news = document.getElementById("ticket-news");
  if (!news || !window.EventSource) { return; }
  var source = new EventSource(news.getAttribute("data-live"));
  source.addEventListener("ticket", function (event) {
    if (JSON.parse(event.data).stamp !== news.getAttribute("data-stamp")) {
      news.hidden = false;
      source.close();
    }
  });
  window.addEventListener("pagehide", function () { source.close(); });
})();

(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board || !window.EventSource) { return; }
  var live = document.getElementById("board-live");
  var lost = document.getElementById("board-lost");
  var said = document.getElementById("board-said");
  var fetching = false;
  var again = false;

  function numbers(root) {
    var seen = {};
    Array.prototype.forEach.call(root.querySelectorAll("tr[data-number]"), function (row) {
      seen[row.getAttribute("data-number")] = true;
    });
    return seen;
  }

  function refresh() {
    if (fetching) { again = true; return; }
    fetching = true;
    fetch(window.location.href, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (response) {
        if (response.status === 401 || response.redirected) { window.location.reload(); return null; }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("board");
        if (!fresh) { return; }
        var before = numbers(board);
        var filters = board.querySelector("#filter-box");
        var folded = filters ? !filters.open : false;
        board.innerHTML = fresh.innerHTML;
        board.setAttribute("data-stamp", fresh.getAttribute("data-stamp"));
        board.setAttribute("data-updated", String(Number(board.getAttribute("data-updated")) + 1));
        var box = board.querySelector("#filter-box");
        if (box && folded) { box.open = false; }
        Array.prototype.forEach.call(board.querySelectorAll("tr[data-number]"), function (row) {
          if (!before[row.getAttribute("data-number")]) { row.classList.add("fresh"); }
        });
        if (said) { said.textContent = said.getAttribute("data-text"); }
      })
      .catch(function () { /* the next event tries again */ })
      .then(function () {
        fetching = false;
        if (again) { again = false; refresh(); }
      });
  }

  var source = new EventSource(board.getAttribute("data-live"));
  source.addEventListener("board", function (event) {
    if (live) { live.hidden = false; }
    if (lost) { lost.hidden = true; }
    var data = JSON.parse(event.data);
    if (data.stamp !== board.getAttribute("data-stamp")) { refresh(); }
  });
  source.addEventListener("error", function () {
    if (live) { live.hidden = true; }
    if (lost) { lost.hidden = false; }
  });
  window.addEventListener("pagehide", function () { source.close(); });
})();
