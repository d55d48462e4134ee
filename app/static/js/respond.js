// Respondent page: save the score the email link preselected once the page is shown to a person, and
// save again when the score changes. Mail scanners that only GET links never run this, so a GET alone
// never records an answer. Without JavaScript the Save button posts the same form.
//
// Scanners that run scripts (Safe Links "detonation") open every link of the email in a real browser, so
// the automatic save waits until the page is visible and the person interacted or stayed a moment, and
// says whether the browser is automated (navigator.webdriver): the server keeps such a save apart from the
// counts (app/respond/suspect.py). A person's first press or key after an automatic save, or after the
// server held one, confirms the answer with a plain post: that one always counts.
(() => {
  "use strict";
  const form = document.getElementById("answer-form");
  if (!form || form.dataset.preview === "1") return;
  const status = document.getElementById("save-status");
  const label = document.getElementById("followup-label");
  let timer = null;
  const DWELL_MS = 1000; // a person "stayed a moment": the page visible this long
  let autoPending = form.dataset.autosave === "1"; // the preselected score, not saved yet
  let needsConfirm = autoPending; // until a person's action was posted
  let dwell = null;
  let confirmTimer = null;

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
    if (auto) {
      body.set("auto", "1");
      if (navigator.webdriver === true) body.set("webdriver", "1");
    } else {
      needsConfirm = false;
    }
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

  // Pre-rendering or a background tab is not a person looking at the page: the moment counts only while
  // the page is visible.
  const autoSave = () => {
    dwell = null;
    if (!autoPending || document.visibilityState !== "visible") return;
    autoPending = false;
    save(true);
  };
  const armDwell = () => {
    if (autoPending && dwell === null && document.visibilityState === "visible") {
      dwell = window.setTimeout(autoSave, DWELL_MS);
    }
  };
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") {
      armDwell();
    } else if (dwell !== null) {
      window.clearTimeout(dwell);
      dwell = null;
    }
  });
  armDwell();

  // A real press, touch or key (scripts cannot make trusted events): a person is here. Their own save
  // (a score change) may follow within the change delay; if none does, confirm the shown score.
  const onPerson = (event) => {
    if (!event.isTrusted || !needsConfirm) return;
    autoPending = false;
    if (dwell !== null) {
      window.clearTimeout(dwell);
      dwell = null;
    }
    window.clearTimeout(confirmTimer);
    confirmTimer = window.setTimeout(() => {
      if (needsConfirm) save(false);
    }, 400);
  };
  for (const type of ["pointerdown", "touchstart", "keydown"]) {
    document.addEventListener(type, onPerson, { capture: true, passive: true });
  }
})();
