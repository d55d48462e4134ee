// Re-tag progress: poll the run's small JSON endpoint while it is active, then reload the page once.
// Without this script the page still shows the progress as of its last load.
(() => {
  const bars = document.querySelectorAll("[data-retag-status]");
  if (!bars.length) return;
  const INTERVAL_MS = 2000;

  const poll = async (el) => {
    let data;
    try {
      const resp = await fetch(el.dataset.retagStatus, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!resp.ok) return false;
      data = await resp.json();
    } catch (err) {
      return true; // a network blip: try again on the next tick
    }
    const bar = el.querySelector("progress");
    const text = el.querySelector("[data-retag-text]");
    if (bar) bar.value = data.percent;
    if (text) text.textContent = `${data.processed.toLocaleString()} of ${data.total.toLocaleString()} responses · ${data.percent}%`;
    if (data.state !== "queued" && data.state !== "running") {
      window.setTimeout(() => window.location.reload(), 600);
      return false;
    }
    return true;
  };

  bars.forEach((el) => {
    const tick = async () => {
      if (await poll(el)) window.setTimeout(tick, INTERVAL_MS);
    };
    window.setTimeout(tick, INTERVAL_MS);
  });
})();
