// Help sessions: share / end for the person, open requests for champions. All text is put in the page as text.
"use strict";
(function () {
  const { el, api } = window.hubextras;
  const $ = (id) => document.getElementById(id);
  const when = (seconds) => new Date(seconds * 1000).toLocaleString();

  function openings(list) {
    return list.length ? list.map((o) => el("li", {}, `${o.champion} at ${when(o.when)}`)) : [el("li", {}, "Nobody yet.")];
  }

  async function refreshMine() {
    const { request } = await api("api/mine");
    const open = request && request.open;
    $("my-state").textContent = open ? `Shared with the champions until ${when(request.until)}.` : "Not shared.";
    $("share-button").classList.toggle("d-none", Boolean(open));
    $("end-button").classList.toggle("d-none", !open);
    $("my-openings").replaceChildren(...openings(request ? request.openings : []));
  }

  async function openServer(user) {
    try {
      const { url } = await api(`api/requests/${encodeURIComponent(user)}/open`, { method: "POST" });
      window.location.assign(url);
    } catch (e) {
      $("requests-message").textContent = e.message;
      $("requests-message").classList.remove("d-none");
    }
  }

  async function refreshRequests() {
    if (!$("requests")) return;
    const { requests } = await api("api/requests");
    const open = requests.filter((r) => r.open);
    $("requests").replaceChildren(...(open.length ? open.map((r) => el("tr", { dataset: { user: r.user } },
      el("td", {}, r.user), el("td", {}, when(r.until)),
      el("td", {}, r.openings.map((o) => o.champion).join(", ") || "nobody yet"),
      el("td", {}, el("button", { class: "btn btn-sm btn-primary", type: "button", onclick: () => openServer(r.user) },
        `Open ${r.user}'s server`)))) : [el("tr", {}, el("td", { colspan: 4 }, "No open help requests."))]));
  }

  $("share-button").addEventListener("click", async () => { await api("api/mine/share", { method: "POST" }); await refreshMine(); });
  $("end-button").addEventListener("click", async () => { await api("api/mine/end", { method: "POST" }); await refreshMine(); });
  refreshMine();
  refreshRequests();
})();
