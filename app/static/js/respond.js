// Respondent page: save the score the email link preselected as soon as the page is shown to a person,
// and save again when the score changes. Mail scanners that only GET links never run this, so a GET
// alone never records an answer. Without JavaScript the Save button posts the same form.
(() => {
  "use strict";
  const form = document.getElementById("answer-form");
  if (!form || form.dataset.preview === "1") return;
  const status = document.getElementById("save-status");
  const label = document.getElementById("followup-label");
  let timer = null;

  const say = (text, tone) => {
    if (!status) return;
    status.textContent = text;
    status.dataset.tone = tone || "";
  };

  async function save(auto) {
    const checked = form.querySelector('input[name="score"]:checked');
    if (!checked) return;
    const body = new URLSearchParams();
    body.set("key", form.elements.key.value);
    body.set("score", checked.value);
    if (form.elements.account_hint) body.set("account_hint", form.elements.account_hint.value);
    if (auto) body.set("auto", "1");
    say(form.dataset.msgSaving, "");
    try {
      const resp = await fetch(form.action, {
        method: "POST",
        body,
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      const data = await resp.json();
      if (resp.ok) {
        say(form.dataset.msgSaved.replace("{score}", data.score), "ok");
        if (label && data.followup) label.textContent = data.followup;
        form.dataset.saved = data.score;
      } else {
        say(data.error && data.error.message ? data.error.message : form.dataset.msgFailed, "error");
      }
    } catch (err) {
      say(form.dataset.msgFailed, "error");
    }
  }

  form.addEventListener("change", (event) => {
    const input = event.target;
    if (input.name !== "score") return;
    if (label && input.dataset.followup) label.textContent = input.dataset.followup;
    window.clearTimeout(timer);
    timer = window.setTimeout(() => save(false), 300);
  });

  // Pre-rendering or a background tab is not a person looking at the page: wait until it is visible.
  const start = () => {
    if (form.dataset.autosave === "1") save(true);
  };
  if (document.visibilityState === "visible") {
    start();
  } else {
    const onVisible = () => {
      if (document.visibilityState !== "visible") return;
      document.removeEventListener("visibilitychange", onVisible);
      start();
    };
    document.addEventListener("visibilitychange", onVisible);
  }
})();
