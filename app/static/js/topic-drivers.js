// Topics page: the driver column is fitted in a second request when the page had no fit at hand; this
// fetches it and fills each topic's cell. Without this script the page links to itself with the fit.
(() => {
  "use strict";
  const table = document.querySelector("table[data-drivers-url]");
  if (!table) return;
  const fill = (html) => {
    const holder = document.createElement("div");
    holder.innerHTML = html; // server-rendered and escaped: numbers and notes only
    holder.querySelectorAll("[data-driver-cell]").forEach((cell) => {
      const target = table.querySelector(`[data-driver-cell="${cell.dataset.driverCell}"]`);
      if (target) target.replaceWith(cell);
    });
    const summary = holder.querySelector("[data-driver-summary]");
    const old = document.querySelector("[data-driver-summary]");
    if (summary && old) old.replaceWith(summary);
  };
  table.setAttribute("aria-busy", "true");
  fetch(table.dataset.driversUrl, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
    .then((resp) => (resp.ok ? resp.text() : Promise.reject(resp.status)))
    .then(fill)
    .catch(() => {
      table.querySelectorAll("[data-driver-cell]").forEach((cell) => {
        cell.textContent = "not available";
      });
    })
    .finally(() => table.removeAttribute("aria-busy"));
})();
