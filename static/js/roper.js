// Roper's small behaviours. No inline script anywhere (the Content-Security-Policy forbids it).
document.addEventListener("DOMContentLoaded", () => {
  // A form sent back with errors: the summary at the top takes the focus (GOV.UK pattern) and
  // each of its links moves the focus to its field. Otherwise data-autofocus takes it.
  const summary = document.querySelector("[data-error-summary]");
  const first = summary || document.querySelector("[data-autofocus]");
  if (first) first.focus();
  if (summary) {
    summary.addEventListener("click", (event) => {
      const link = event.target.closest("a[href^='#']");
      const field = link && document.getElementById(link.hash.slice(1));
      if (!field) return;
      event.preventDefault();
      field.focus();
      field.scrollIntoView({ block: "center" });
    });
  }
  // Buttons with data-confirm ask before they submit an irreversible action.
  document.body.addEventListener("click", (event) => {
    const button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
  });

  const csrf = () => JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
  const post = (url, body) =>
    fetch(url, { method: "POST", body, headers: { "X-CSRFToken": csrf() }, credentials: "same-origin" });

  // A PDF takes a few seconds to make: its link says so while it is prepared, then downloads it.
  // Without script the link is an ordinary download.
  document.querySelectorAll("a[data-pdf]").forEach((link) => {
    const status = document.createElement("span");
    status.className = "ms-2 small";
    status.setAttribute("role", "status");
    link.after(status);
    link.addEventListener("click", (event) => {
      if (link.getAttribute("aria-busy") === "true") return event.preventDefault();
      event.preventDefault();
      link.setAttribute("aria-busy", "true");
      link.classList.add("disabled");
      status.textContent = "Preparing the PDF…";
      fetch(link.href, { credentials: "same-origin" })
        .then((response) => {
          if (!response.ok) throw new Error(String(response.status));
          const named = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
          return response.blob().then((blob) => [blob, named ? named[1] : "roper.pdf"]);
        })
        .then(([blob, name]) => {
          const save = document.createElement("a");
          save.href = URL.createObjectURL(blob);
          save.download = name;
          document.body.append(save);
          save.click();
          save.remove();
          setTimeout(() => URL.revokeObjectURL(save.href), 10000);
          status.textContent = "PDF ready: it is in your downloads.";
        })
        .catch(() => {
          status.textContent = "The PDF could not be made: please try again.";
        })
        .finally(() => {
          link.removeAttribute("aria-busy");
          link.classList.remove("disabled");
        });
    });
  });

  // A form marked data-draft-url keeps itself as the author's draft on the server while they
  // type (files are not kept), never in the browser's storage.
  const draftForm = document.querySelector("form[data-draft-url]");
  const saveDraft = () => {
    if (!draftForm) return Promise.resolve();
    const data = new FormData(draftForm);
    for (const [key, value] of [...data.entries()]) if (value instanceof File) data.delete(key);
    return post(draftForm.dataset.draftUrl, data)
      .then((r) => r.json())
      .then((answer) => {
        const status = document.getElementById("draft-status");
        if (status) status.textContent = answer.message;
        if (answer.saved) idleRestart();
      })
      .catch(() => {});
  };
  if (draftForm) {
    let timer = null;
    draftForm.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(saveDraft, 3000);
    });
    draftForm.addEventListener("submit", () => clearTimeout(timer));
  }

  // Before the inactivity sign-out: a warning with "Stay signed in" (WCAG 2.2.1), two minutes
  // ahead; the draft is saved when the warning shows.
  const idle = Number(document.body.dataset.idleSeconds || 0);
  const dialog = document.getElementById("idle-warning");
  let idleTimer = null;
  function idleRestart() {
    if (!idle || !dialog) return;
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      saveDraft();
      if (!dialog.open) dialog.showModal();
    }, Math.max(idle - 120, 10) * 1000);
  }
  if (idle && dialog) {
    dialog.querySelector("[data-idle-extend]").addEventListener("click", () => {
      post(document.body.dataset.extendUrl, new FormData()).then(() => {
        dialog.close();
        idleRestart();
      });
    });
    document.body.addEventListener("htmx:afterRequest", idleRestart);
    idleRestart();
  }
});
