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
  const roster = deskRoster(box, results);
  document.body.addEventListener("htmx:afterRequest", (event) => {
    if (event.detail.requestConfig.verb === "get") return; // a search, not an action
    roster.after(event);
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
    if (event.detail.xhr.getResponseHeader("X-Desk-Level") === "warning") {
      // A change to a day already reconciled: the message asks why, in a box of its own
      // (devices/partials/_desk_message.html); type the reason, Enter sends the change again.
      const reason = document.querySelector("#desk-message [data-desk-reason]");
      if (reason) reason.focus();
      return;
    }
    box.value = "";
    if (tag) tag.value = "";
    results.innerHTML = "";
    box.focus();
  });
});

// The morning rush (issue 17): the day's roster is searched here as each key is typed, instead
// of one request to the server a pause in the typing; only the Enter (or a click) goes to the
// server, which decides again from what it holds (devices/services.py desk_enter) and refuses
// when the learner the list showed is not its match. The list is the server's own
// (devices/partials/_desk_results.html) drawn from the roster (devices/desk.py roster), kept
// fresh by each phone moved here and read again every minute (and after an undo, a whole
// class or a refusal). From home time, when Enter hands phones back, it lists the phones
// still held first, as the server does (the afternoon is a rush too: every name searched by
// the server held 36 collections a second, bench/README.md). The server answers instead when
// nothing in the roster matches (a learner added since it was read) and when the roster could
// not be read.
function deskRoster(box, results) {
  const form = box.form;
  const url = form.dataset.roster;
  let data = null;
  let readAt = 0;
  let shownFor = null; // the box's value the list was drawn for here
  let expected = null; // the learner Enter would act on, by the list drawn here
  let ask = false; // whether Enter could mean two learners of the list drawn here

  const read = () =>
    fetch(url, {
      credentials: "same-origin",
      // A background read: it does not keep an idle desk signed in (roper/sessions.py).
      headers: { Accept: "application/json", "X-Roper-Background": "1" },
    })
      .then((response) => (response.ok ? response.json() : null))
      .then((fresh) => {
        if (fresh && Array.isArray(fresh.learners)) {
          data = fresh;
          readAt = performance.now();
        }
      })
      .catch(() => {});
  read();
  setInterval(read, 60000);

  // Home time by the server's clock (the computer's may be wrong).
  const atHome = () => data.now + (performance.now() - readAt) / 1000 >= data.home;

  const words = (q) => q.trim().toUpperCase().split(/\s+/);
  const matches = (learner, typed) =>
    typed.every(
      (word) =>
        learner.names.some((name) => name.startsWith(word)) ||
        learner.class.toUpperCase() === word ||
        (typed.length === 1 && learner.tags.includes(word)),
    );

  // Whom Enter acts on (devices/services.py desk_enter): a learner whose phone is not in yet,
  // and from home time one whose phone is still held; never an exempt learner.
  const waits = (learner, home) => !learner.exempt && (home ? !learner.out : !learner.in);

  function local(q) {
    if (!data) return null;
    const typed = words(q);
    const found = data.learners.filter((learner) => matches(learner, typed));
    if (!found.length) return null;
    // Those Enter would act on come first, then by name (the roster comes in the database's
    // order of names, and the sort keeps it): as the server lists them. (Exempt learners sort
    // as the server sorts them, by their phone alone.)
    const home = atHome();
    const first = (learner) => (home ? learner.in && !learner.out : !learner.in);
    found.sort((a, b) => (first(a) ? 0 : 1) - (first(b) ? 0 : 1));
    return found.slice(0, data.limit);
  }

  const element = (name, attributes = {}, ...children) => {
    const made = document.createElement(name);
    Object.entries(attributes).forEach(([key, value]) => made.setAttribute(key, value));
    made.append(...children);
    return made;
  };
  const hidden = (text) => element("span", { class: "visually-hidden" }, text);
  const token = () => form.querySelector("[name=csrfmiddlewaretoken]").value;

  function row(learner, first) {
    const about = element("span", { class: "d-block small fw-normal text-body-secondary" }, learner.about);
    const who = element("th", { scope: "row" }, `${learner.name} `, about);
    if (learner.contact) {
      const until = learner.until ? ` (until ${learner.until})` : "";
      who.append(
        element(
          "span",
          { class: "d-block small fw-normal mt-1 parent-contact" },
          element("span", { class: "badge text-bg-warning" }, "Parent contact allowed"),
          ` ${learner.contact}${until}`,
        ),
      );
    }
    let phone;
    let action = "";
    if (learner.exempt) {
      phone = [element("span", { class: "badge text-bg-info" }, "Exempt"), ` ${learner.exempt}`];
    } else if (!learner.in) {
      phone = ["Not in"];
      const to = form.dataset.checkIn.replace("/0/", `/${learner.id}/`);
      action = element(
        "form",
        { method: "post", action: to, "hx-post": to, "hx-target": "#desk-state", "hx-include": "#desk-tag", class: "desk-action" },
        element("input", { type: "hidden", name: "csrfmiddlewaretoken", value: token() }),
        element("button", { class: "btn btn-sm btn-primary", type: "submit" }, "Check in", hidden(` ${learner.name}`)),
      );
    } else if (learner.out) {
      phone = [`Collected ${learner.out}`];
    } else {
      phone = [`In since ${learner.in}${learner.tag ? ` · pouch ${learner.tag}` : ""}`];
      const to = form.dataset.checkOut.replace("/0/", `/${learner.id}/`);
      const id = `collector-${learner.id}`;
      const options = learner.collect.map(([guardian, label]) => element("option", { value: guardian }, label));
      action = element(
        "form",
        { method: "post", action: to, "hx-post": to, "hx-target": "#desk-state", class: "desk-action d-flex gap-1" },
        element("input", { type: "hidden", name: "csrfmiddlewaretoken", value: token() }),
        element("label", { class: "visually-hidden", for: id }, "Collected by"),
        element(
          "select",
          { class: "form-select form-select-sm", id, name: "guardian" },
          element("option", { value: "" }, "The learner"),
          ...options,
        ),
        element("button", { class: "btn btn-sm btn-secondary", type: "submit" }, "Check out", hidden(` ${learner.name}`)),
      );
    }
    return element(
      "tr",
      first ? { class: "table-active" } : {},
      who,
      element("td", {}, learner.class),
      element("td", {}, ...phone),
      element("td", {}, action),
    );
  }

  function draw(q, found) {
    const head = element(
      "thead",
      {},
      element(
        "tr",
        {},
        element("th", { scope: "col" }, "Learner"),
        element("th", { scope: "col" }, "Class"),
        element("th", { scope: "col" }, "Phone today"),
        element("th", { scope: "col" }, hidden("Actions")),
      ),
    );
    const body = element("tbody", {}, ...found.map((learner, index) => row(learner, index === 0)));
    const caption = element("caption", { class: "visually-hidden" }, `Learners matching “${q}”; Enter acts on the first`);
    results.replaceChildren(element("table", { class: "table table-sm align-middle mt-2 desk-results" }, caption, head, body));
    window.htmx.process(results);
  }

  box.addEventListener("input", () => {
    const q = box.value.trim();
    shownFor = null;
    expected = null;
    ask = false;
    if (!data) return; // the server's search
    if (q.length < data.min_chars) {
      results.replaceChildren();
      shownFor = box.value;
      return;
    }
    const found = local(q);
    if (!found) return; // nothing here: the server's search (a learner added since)
    draw(q, found);
    shownFor = box.value;
    // Enter acts on the one learner whose phone is still to come in or (from home time)
    // still held, and asks (here, as the server would) when it could mean two; the server
    // refuses when its match is not the one this list showed.
    const home = atHome();
    const waiting = found.filter((learner) => waits(learner, home));
    ask = waiting.length > 1 || (waiting.length > 0 && found.length === data.limit);
    expected = waiting.length === 1 ? waiting[0].id : null;
  });

  // Enter on a name that could mean two learners of the list: the question the server would
  // send, without asking it; what was typed is kept, to be completed or a row chosen.
  document.body.addEventListener("htmx:beforeRequest", (event) => {
    const message = document.getElementById("desk-message"); // (an undo draws it afresh)
    if (event.detail.elt !== form || !(ask && shownFor === box.value) || !message) return;
    event.preventDefault();
    const q = box.value.trim();
    message.replaceChildren(
      element(
        "div",
        { class: "alert alert-warning py-2" },
        `More than one learner matches “${q}”: choose one in the list, or type more of the ` +
          "name (or the pouch number).",
      ),
    );
  });

  // The search as the server would send it is not sent when the list was drawn here. An
  // answer is shown only when it answers what the box holds now: not over a list drawn here,
  // and never the answer to an earlier text (a search sent while another is in flight is
  // dropped, so the text typed meanwhile is searched when the late answer comes).
  // Nor is a search of an empty box: the pause after the last key can end just after a desk
  // action emptied it, and that search, in flight, would make htmx drop the next learner's
  // (hx-sync: one search at a time).
  let askAgain = false; // whether an answer was late, and the box's text is to be searched
  document.body.addEventListener("htmx:beforeRequest", (event) => {
    if (event.detail.elt !== box) return;
    if (shownFor === box.value || !box.value.trim()) event.preventDefault();
  });
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    // (Sent on the element swapped, the list: the box is the one that asked.)
    if (!event.detail.requestConfig || event.detail.requestConfig.elt !== box) return;
    const path = event.detail.pathInfo && event.detail.pathInfo.finalRequestPath;
    const asked = path ? new URL(path, window.location.href).searchParams.get("q") : null;
    const late = asked !== null && asked.trim() !== box.value.trim();
    if (late && shownFor !== box.value) askAgain = true;
    if (late || shownFor === box.value) event.detail.shouldSwap = false;
  });
  document.body.addEventListener("htmx:afterRequest", (event) => {
    if (event.detail.elt !== box) return;
    if (askAgain) {
      askAgain = false;
      // The text typed while the late answer was awaited, once htmx has let that one go.
      window.setTimeout(() => window.htmx.trigger(box, "search"), 0);
    }
  });
  document.body.addEventListener("htmx:configRequest", (event) => {
    if (event.detail.elt === form && shownFor === box.value && expected !== null) {
      event.detail.parameters.expect = String(expected);
    }
  });

  return {
    // After a desk action: the phone moved is now as the server says; an undo, a whole class
    // or a refusal (the list may have been out of date) reads the roster again.
    after(event) {
      const xhr = event.detail.xhr;
      const moved = xhr && xhr.getResponseHeader("X-Desk-Moved");
      const learner = moved && data && data.learners.find((one) => one.id === JSON.parse(moved).id);
      if (learner) {
        const now = JSON.parse(moved);
        learner.in = now.in;
        learner.out = now.out;
        learner.tag = now.tag;
        if (now.tag && !learner.tags.includes(now.tag.toUpperCase())) learner.tags.push(now.tag.toUpperCase());
      } else if (data) {
        read();
      }
    },
  };
}
