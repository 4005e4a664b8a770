// The champions' usage page: the bump form (everything else is drawn by the server).
"use strict";
(function () {
  const { api, el } = window.hubextras;
  const form = document.getElementById("bump-form");
  if (!form) return;
  const status = document.getElementById("bump-status");
  const resourceWords = () => document.getElementById("bump-resource").selectedOptions[0].textContent;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = {
      user: data.get("user").trim(), resource: data.get("resource"),
      amount: Number(data.get("amount")), days: Number(data.get("days")), reason: data.get("reason"),
    };
    try {
      const bump = await api("api/bumps", { method: "POST", body });
      status.replaceChildren(el("p", { class: "alert alert-success" },
        `${bump.user} has ${body.amount} more ${resourceWords()} until ${bump.expires_text}.`));
      form.reset();
    } catch (error) {
      status.replaceChildren(el("p", { class: "alert alert-danger" }, error.message));
    }
  });
})();
