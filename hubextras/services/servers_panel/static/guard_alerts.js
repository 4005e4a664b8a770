// The guard's latest alerts above the servers table (issue 12); shown only to champions with the guard's scope.
"use strict";
(function () {
  const { el, api } = window.hubextras;
  const section = document.getElementById("guard-alerts");
  if (!section) return;

  async function refresh() {
    let data;
    try {
      data = await api("api/guard-alerts");
    } catch (e) {
      section.classList.add("d-none");
      return;
    }
    const { alerts, blocked, guard_page: guardPage } = data;
    section.classList.toggle("d-none", alerts.length === 0);
    section.replaceChildren(
      el("h2", { class: "h6", id: "guard-alerts-heading" }, `Guard alerts (${blocked.length} blocked)`),
      el("ul", { class: "mb-1" }, alerts.map((a) => el("li", { dataset: { kind: a.kind } },
        `${new Date(a.when * 1000).toLocaleString()}: ${a.user}: ${a.reason} `,
        el("code", { class: "text-break" }, a.command),
        a.actions.length ? ` (${a.actions.join(", ")})` : " (reported only)"))),
      el("a", { href: guardPage }, "Lift blocks on the guard's page"));
  }

  refresh();
  setInterval(refresh, 5000);
})();
