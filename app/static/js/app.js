// Small progressive enhancements for staff pages. Everything works without this file.
document.addEventListener("click", (event) => {
  const el = event.target.closest("[data-confirm]");
  if (el && !window.confirm(el.dataset.confirm)) event.preventDefault();
});
document.addEventListener("change", (event) => {
  const el = event.target.closest("select[data-autosubmit]");
  if (el && el.form) el.form.requestSubmit();
});
