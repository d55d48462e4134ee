// Explorer: select rows for bulk tagging ("select all on this page", a running count). Without this
// script the checkboxes still post with the tag form; this only adds the shortcut and the count.
(() => {
  "use strict";
  const form = document.querySelector("[data-bulk-tag]");
  if (!form) return;
  const all = document.querySelector("[data-select-all]");
  const rows = () => Array.from(document.querySelectorAll("[data-select-row]"));
  const count = form.querySelector("[data-bulk-count]");
  const submit = form.querySelector("[data-bulk-submit]");

  const refresh = () => {
    const boxes = rows();
    const n = boxes.filter((b) => b.checked).length;
    if (count) count.textContent = n ? `${n} selected` : "Select responses below";
    if (submit) submit.disabled = n === 0;
    if (all) {
      all.checked = n > 0 && n === boxes.length;
      all.indeterminate = n > 0 && n < boxes.length;
    }
  };

  if (all) {
    all.addEventListener("change", () => {
      rows().forEach((b) => {
        b.checked = all.checked;
      });
      refresh();
    });
  }
  document.addEventListener("change", (event) => {
    if (event.target.matches("[data-select-row]")) refresh();
  });
  refresh();
})();
