// The guard's alerts for champions; lifting blocks. Evidence (command lines) is shown as text only.
"use strict";
(function () {
  const { el, api } = window.hubextras;
  const body = document.getElementById("alerts");
  const message = document.getElementById("guard-message");

  async function lift(user) {
    try {
      await api(`api/blocks/${encodeURIComponent(user)}/lift`, { method: "POST" });
    } catch (e) {
      message.textContent = e.message;
      message.classList.remove("d-none");
    }
    await refresh();
  }

  function row(alert, blocked) {
    const isBlocked = blocked.has(alert.user) && alert.actions.includes("blocked");
    return el("tr", { dataset: { id: alert.id, kind: alert.kind } },
      el("td", {}, new Date(alert.when * 1000).toLocaleString()),
      el("td", {}, alert.server ? `${alert.user} (${alert.server})` : alert.user),
      el("td", {}, el("span", { class: `badge ${alert.actions.length ? "bg-danger" : "bg-secondary"} me-1` }, alert.kind),
        ` ${alert.reason}`),
      el("td", {}, el("code", { class: "text-break" }, alert.command)),
      el("td", {}, alert.actions.length ? alert.actions.join(", ") : "reported only"),
      el("td", {}, isBlocked ? el("button", { class: "btn btn-sm btn-outline-primary", type: "button",
        onclick: () => lift(alert.user) }, `Lift ${alert.user}'s block`) : ""));
  }

  async function refresh() {
    const { alerts, blocked } = await api("api/alerts");
    const names = new Set(blocked);
    const seen = new Set();
    body.replaceChildren(...(alerts.length ? alerts.map((a) => {
      // the lift button goes on the latest alert of each person only
      const shown = row(a, seen.has(a.user) ? new Set() : names);
      seen.add(a.user);
      return shown;
    }) : [el("tr", {}, el("td", { colspan: 6 }, "No alerts."))]));
  }

  refresh();
  setInterval(refresh, 5000);
})();
