// The import job page: poll the job's status and show its phase and counts; when it ends,
// load the page again, which then shows the outcome. Without script the page refreshes
// itself every two seconds (its <noscript> meta refresh) and has a "refresh now" link.
(function () {
  "use strict";
  const card = document.getElementById("import-job");
  if (!card || card.dataset.state !== "running") return;
  const url = card.dataset.statusUrl;
  const phase = document.getElementById("import-job-phase");
  const bar = document.getElementById("import-job-progress");
  const count = document.getElementById("import-job-count");
  const every = 400;
  const show = (status) => {
    phase.textContent = status.says;
    if (status.total > 0) {
      bar.max = status.total;
      bar.value = status.done;
    } else {
      bar.removeAttribute("value"); // indeterminate: a phase with no count
    }
    count.textContent = `${status.counted} · ${status.elapsedSeconds} s`;
  };
  const tick = async () => {
    let status;
    try {
      const answer = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" });
      if (!answer.ok) {
        window.location.reload(); // unknown here now, or signed out: the page says which
        return;
      }
      status = await answer.json();
    } catch (error) {
      window.setTimeout(tick, every * 5); // the server is away for a moment: try again
      return;
    }
    if (status.state !== "running") {
      card.dataset.state = status.state;
      window.location.reload();
      return;
    }
    show(status);
    window.setTimeout(tick, every);
  };
  window.setTimeout(tick, every);
})();
