document.addEventListener("DOMContentLoaded", () => {
  // A page to print: its Print button (hidden without script, when the browser's own Print
  // is the way) opens the print dialog.
  document.querySelectorAll("[data-print]").forEach((button) => {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  });

  // The handover desk: after each desk action, clear the boxes and the matches, and put the
  // cursor back for the next learner. A refused action (a pouch number in use, two learners
  // matching) keeps what was typed, to be corrected.
  const box = document.getElementById("desk-q");
  if (!box) return;
  const tag = document.getElementById("desk-tag");
  const results = document.getElementById("desk-results");
  document.body.addEventListener("htmx:afterRequest", (event) => {
    const source = event.detail.elt;
    if (source.id === "desk-q") return; // a search, not an action
    if (!event.detail.successful) return;
    if (event.detail.xhr.getResponseHeader("X-Desk-Level") === "warning") return;
    box.value = "";
    if (tag) tag.value = "";
    results.innerHTML = "";
    box.focus();
  });
});
