// Training job page: follow the job through the JSON API and show its progress; when it is
// done, open the comparison. Without JavaScript the page refreshes itself instead.
(function () {
  "use strict";
  var card = document.getElementById("nlu-job");
  if (!card || card.dataset.status !== "training") { return; }
  var bar = document.getElementById("nlu-job-bar");
  var percent = document.getElementById("nlu-job-percent");
  var stage = document.getElementById("nlu-job-stage");
  var status = document.getElementById("nlu-job-status");
  function poll() {
    fetch(card.dataset.api, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (job) {
        if (!job) { setTimeout(poll, 2000); return; }
        bar.value = job.progress;
        percent.textContent = Math.round(job.progress * 100) + "%";
        stage.textContent = job.stage || "";
        card.dataset.status = job.status;
        if (job.status === "training") { setTimeout(poll, 700); return; }
        if (job.status === "failed") { window.location.reload(); return; }
        status.textContent = job.status;
        document.getElementById("nlu-job-done").hidden = false;
        window.location.assign(card.dataset.done);
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
