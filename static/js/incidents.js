// Incidents: the report form's live hints, and the chronology's print button.
document.addEventListener("DOMContentLoaded", () => {
  const data = document.getElementById("category-guidance");
  const category = document.querySelector("[data-category]");
  if (data && category) {
    const rules = JSON.parse(data.textContent);
    const guidance = document.getElementById("category-guidance-text");
    const online = document.getElementById("online-fields");
    const noImages = document.getElementById("no-images-reason");
    const files = document.querySelector("input[type=file][name=evidence]");
    const show = () => {
      const rule = rules[category.value];
      guidance.hidden = !(rule && rule.guidance);
      guidance.textContent = rule ? rule.guidance : "";
      if (online) online.hidden = rule ? !rule.online : false;
      const refuse = rule && !rule.images;
      noImages.hidden = !refuse;
      noImages.textContent = refuse ? rule.noImages : "";
      if (files) files.accept = refuse ? "application/pdf" : "image/*,application/pdf";
      if (rule && rule.danger) setDanger(true);
    };
    const danger = document.getElementById("danger-alert");
    const setDanger = (on) => {
      danger.hidden = !on;
      const yes = document.querySelector("input[data-immediate-danger][value=True]");
      if (on && yes) yes.checked = true;
    };
    document.querySelectorAll("input[data-immediate-danger]").forEach((radio) => {
      radio.addEventListener("change", () => {
        danger.hidden = radio.value !== "True" || !radio.checked;
        if (!danger.hidden) danger.focus();
      });
    });
    category.addEventListener("change", show);
    show();
  }
  document.querySelectorAll("[data-print]").forEach((button) => {
    button.addEventListener("click", () => window.print());
  });
});
