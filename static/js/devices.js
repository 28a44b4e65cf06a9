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
    // A phone moved: its entry was put at the top of the last entries; as many are shown as
    // the page shows (the oldest go), and "Nothing yet today" goes.
    const entries = document.getElementById("desk-entries");
    if (entries) {
      const shown = Number(entries.dataset.shown) || 10;
      const empty = entries.querySelector(".desk-entries-none");
      if (empty && entries.rows.length > 1) empty.remove();
      while (entries.rows.length > shown) entries.deleteRow(-1);
    }
    if (!event.detail.successful) return;
    if (event.detail.xhr.getResponseHeader("X-Desk-Level") === "warning") return;
    box.value = "";
    if (tag) tag.value = "";
    results.innerHTML = "";
    box.focus();
  });
});
