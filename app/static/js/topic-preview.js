// Topic editor: a live preview of which recent comments would start and stop matching, as the phrases,
// patterns or parent change (nothing is saved). Without this script the "Preview" button shows the same.
(() => {
  "use strict";
  const DELAY_MS = 600;
  document.querySelectorAll("form[data-preview-url]").forEach((form) => {
    const panel = document.getElementById(form.dataset.previewTarget);
    if (!panel) return;
    let timer = null;
    let latest = 0;

    const show = (html) => {
      const old = panel.querySelector("[data-preview-result]");
      const holder = document.createElement("div");
      holder.innerHTML = html; // server-rendered and escaped: comments are text, never markup
      const fresh = holder.querySelector("[data-preview-result]") || holder;
      if (old) old.replaceWith(fresh);
      else panel.appendChild(fresh);
    };

    const run = async () => {
      const ticket = ++latest;
      panel.setAttribute("aria-busy", "true");
      try {
        const resp = await fetch(form.dataset.previewUrl, {
          method: "POST",
          body: new FormData(form),
          headers: { "X-Requested-With": "fetch" },
          credentials: "same-origin",
        });
        const html = await resp.text();
        if (ticket === latest && resp.ok) show(html);
      } catch (err) {
        // offline or the server restarted: the Preview button still works
      } finally {
        if (ticket === latest) panel.removeAttribute("aria-busy");
      }
    };

    const schedule = (event) => {
      if (!event.target.name || event.target.name === "csrf_token") return;
      window.clearTimeout(timer);
      timer = window.setTimeout(run, DELAY_MS);
    };
    form.addEventListener("input", schedule);
    form.addEventListener("change", schedule);
  });
})();
