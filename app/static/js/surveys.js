// Send page: while a send runs, refresh its counts and progress bar every few seconds.
(() => {
  "use strict";
  const box = document.getElementById("progress");
  if (!box || box.dataset.live !== "1") return;
  const bar = document.getElementById("send-progress");
  const set = (name, value) => {
    const el = box.querySelector(`[data-count="${name}"]`);
    if (el) el.textContent = String(value);
  };
  async function poll() {
    try {
      const resp = await fetch(box.dataset.progressUrl, { headers: { Accept: "application/json" } });
      if (!resp.ok) return;
      const data = await resp.json();
      const c = data.counts || {};
      const get = (k) => c[k] || 0;
      const mailable = get("total") - get("skipped");
      const done = get("sent") + get("failed") + get("bounced") + get("uncertain");
      ["queued", "sending", "sent", "skipped", "failed", "bounced", "uncertain", "responded"].forEach((k) => set(k, get(k)));
      set("done", done);
      set("mailable", mailable);
      if (bar) {
        bar.max = Math.max(mailable, 1);
        bar.value = done;
      }
      if (data.status === "scheduled" || data.status === "sending") window.setTimeout(poll, 3000);
    } catch (err) {
      window.setTimeout(poll, 10000);
    }
  }
  window.setTimeout(poll, 2000);
})();
