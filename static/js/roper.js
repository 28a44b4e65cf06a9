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
});
