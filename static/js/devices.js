// The handover desk: after each desk action, clear the box and the matches, and put the
// cursor back for the next learner.
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("desk-q");
  if (!box) return;
  const results = document.getElementById("desk-results");
  document.body.addEventListener("htmx:afterRequest", (event) => {
    const source = event.detail.elt;
    if (source.id === "desk-q") return; // a search, not an action
    if (!event.detail.successful) return;
    box.value = "";
    results.innerHTML = "";
    box.focus();
  });
});
