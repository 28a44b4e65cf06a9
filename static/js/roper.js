// Roper's small behaviours. No inline script anywhere (the Content-Security-Policy forbids it).
document.addEventListener("DOMContentLoaded", () => {
  // Elements marked data-autofocus take focus when the page opens.
  const first = document.querySelector("[data-autofocus]");
  if (first) first.focus();
  // Buttons with data-confirm ask before they submit an irreversible action.
  document.body.addEventListener("click", (event) => {
    const button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
  });
});
