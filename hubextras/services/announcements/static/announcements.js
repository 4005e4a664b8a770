// The champions' board: list, post, edit, expire, preview. Announcement HTML comes rendered and sanitized by the
// service (markdown-it-py + nh3); everything else is put in the page as text.
"use strict";
(function () {
  const { el, api } = window.hubextras;
  const form = document.getElementById("announcement-form");
  const field = (id) => document.getElementById(id);
  const message = field("form-message");

  function localInput(seconds) {
    if (seconds === null || seconds === undefined) return "";
    const d = new Date(seconds * 1000);
    const pad = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }
  function fromInput(value) {
    return value ? new Date(value).getTime() / 1000 : null;
  }
  function when(seconds) {
    return seconds === null ? "until expired" : new Date(seconds * 1000).toLocaleString();
  }
  function sanitizedHTML(html) {
    // the service's sanitized HTML, parsed inert (a template element runs nothing)
    const template = document.createElement("template");
    template.innerHTML = html;
    return template.content;
  }

  function draft() {
    return {
      markdown: field("announcement-markdown").value,
      places: [...form.querySelectorAll("input[name=places]:checked")].map((box) => box.value),
      starts: fromInput(field("announcement-starts").value),
      ends: fromInput(field("announcement-ends").value),
    };
  }

  function resetForm() {
    form.reset();
    field("announcement-id").value = "";
    field("form-heading").textContent = "New announcement";
    field("announcement-save").textContent = "Post";
    field("announcement-cancel").classList.add("d-none");
    field("preview-box").classList.add("d-none");
    message.classList.add("d-none");
  }

  function startEditing(a) {
    field("announcement-id").value = a.id;
    field("announcement-markdown").value = a.markdown;
    for (const box of form.querySelectorAll("input[name=places]")) box.checked = a.places.includes(box.value);
    field("announcement-starts").value = localInput(a.starts);
    field("announcement-ends").value = localInput(a.ends);
    field("form-heading").textContent = "Edit announcement";
    field("announcement-save").textContent = "Save changes";
    field("announcement-cancel").classList.remove("d-none");
    field("announcement-markdown").focus();
  }

  const STATES = { showing: "bg-success", scheduled: "bg-secondary", ended: "bg-dark" };
  function item(a) {
    const buttons = [el("button", { class: "btn btn-sm btn-outline-primary", type: "button", onclick: () => startEditing(a) }, "Edit")];
    if (a.state !== "ended") {
      buttons.push(el("button", {
        class: "btn btn-sm btn-outline-danger ms-2", type: "button", "data-expire": a.id,
        onclick: () => expire(a),
      }, "Expire now"));
    }
    const edited = a.edited_by ? `; edited by ${a.edited_by}` : "";
    return el("li", { class: "card mb-3", dataset: { id: a.id, state: a.state } },
      el("div", { class: "card-body" },
        el("div", { class: "d-flex justify-content-between align-items-start mb-2" },
          el("span", { class: `badge ${STATES[a.state]}` }, a.state),
          el("small", { class: "text-body-secondary" }, `on the ${a.places.join(", ")} page${a.places.length > 1 ? "s" : ""}`)),
        el("div", { class: "announcement-html" }, sanitizedHTML(a.html)),
        el("p", { class: "small text-body-secondary mb-2" },
          `From ${when(a.starts)} ${a.ends === null ? "until expired" : "to " + when(a.ends)}. Posted by ${a.author}${edited}.`),
        el("div", {}, buttons)));
  }

  async function refresh() {
    const { announcements } = await api("api/announcements");
    field("board").replaceChildren(...announcements.map(item));
    field("board-empty").classList.toggle("d-none", announcements.length > 0);
  }

  async function expire(a) {
    await api(`api/announcements/${a.id}/expire`, { method: "POST" });
    await refresh();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const id = field("announcement-id").value;
    try {
      if (id) await api(`api/announcements/${id}`, { method: "PUT", body: draft() });
      else await api("api/announcements", { method: "POST", body: draft() });
    } catch (e) {
      message.textContent = e.message;
      message.classList.remove("d-none");
      return;
    }
    resetForm();
    await refresh();
  });
  field("announcement-cancel").addEventListener("click", resetForm);
  field("announcement-preview").addEventListener("click", async () => {
    const { html } = await api("api/preview", { method: "POST", body: { markdown: field("announcement-markdown").value } });
    field("preview").replaceChildren(sanitizedHTML(html));
    field("preview-box").classList.remove("d-none");
  });
  refresh();
})();
