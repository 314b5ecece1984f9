// A job's progress page (templates/jobs/detail.html): asks the page's .json twin every second
// and updates the status, the progress bar, the error and the link to the result, until the
// job is finished or failed. Without JavaScript the page refreshes itself (<noscript>).
(function () {
  var box = document.getElementById("job");
  if (!box || box.dataset.finished === "true") return;
  function part(name) { return box.querySelector('[data-job="' + name + '"]'); }
  function show(job) {
    var status = part("status");
    status.textContent = job.status_label;
    status.dataset.status = job.status;
    var bar = part("progress");
    bar.max = Math.max(job.total, 1);
    bar.value = job.done;
    part("progress-text").textContent = job.progress_text;
    part("error").hidden = !job.error;
    part("error").textContent = job.error || "";
    part("waiting").hidden = job.finished;
    if (job.result_url) {
      part("result-link").href = job.result_url;
      part("result").hidden = false;
    }
    return job.finished;
  }
  function poll() {
    fetch(box.dataset.poll, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (job) { if (!job || !show(job)) setTimeout(poll, 1000); })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
