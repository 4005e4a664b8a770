// The helpers every page of our services uses: window.hubextras.{el, api, formatBytes, confirm, page}.
// Bytes are counted as JupyterHub counts them (powers of 1024) and written KiB, MiB, GiB (units.py matches).
"use strict";
(function () {
  const main = document.getElementById("service-page");
  const page = { prefix: main ? main.dataset.prefix : "/", xsrf: main ? main.dataset.xsrf : "" };

  // el("button", {class: "btn", onclick: fn, dataset: {key: "a"}}, "Stop") -> an element; strings are text, never HTML
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "dataset") Object.assign(node.dataset, value);
      else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
      else if (value === true) node.setAttribute(key, "");
      else node.setAttribute(key, String(value));
    }
    for (const child of children.flat()) {
      if (child !== undefined && child !== null && child !== false) node.append(child);
    }
    return node;
  }

  // api("api/servers", {method, body, query}) -> parsed JSON; throws Error(message) with .status on refusals
  async function api(path, options = {}) {
    let url = page.prefix + path;
    if (options.query) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(options.query)) if (v !== "" && v !== undefined && v !== null) params.set(k, v);
      const text = params.toString();
      if (text) url += (url.includes("?") ? "&" : "?") + text;
    }
    // JupyterHub checks the XSRF token on every fetch() with the sign-in cookie
    const headers = { Accept: "application/json", "X-XSRFToken": page.xsrf };
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(url, {
        method: options.method || "GET", headers, credentials: "same-origin",
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
    } catch (e) {
      const error = new Error("The service cannot be reached (the hub may be restarting).");
      error.status = 0;
      throw error;
    }
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (!response.ok) {
      const error = new Error((data && data.message) || `The service answered ${response.status}.`);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  const UNITS = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
  function formatBytes(count) {
    let value = Number(count);
    for (const unit of UNITS) {
      if (Math.abs(value) < 1024 || unit === UNITS[UNITS.length - 1]) {
        return unit === "bytes" ? `${Math.trunc(value)} bytes` : `${value.toFixed(1)} ${unit}`;
      }
      value /= 1024;
    }
    return "";
  }

  // confirm({title, body, confirm: "Stop 3 servers", danger: true}) -> Promise<boolean>, in the page's one modal
  function confirm({ title, body, confirm: label = "OK", danger = false }) {
    const dialog = document.getElementById("hubextras-confirm");
    const yes = document.getElementById("hubextras-confirm-yes");
    document.getElementById("hubextras-confirm-title").textContent = title;
    const bodyNode = document.getElementById("hubextras-confirm-body");
    bodyNode.replaceChildren(typeof body === "string" ? el("p", {}, body) : body);
    yes.textContent = label;
    yes.className = `btn ${danger ? "btn-danger" : "btn-primary"}`;
    const modal = window.bootstrap.Modal.getOrCreateInstance(dialog);
    return new Promise((resolve) => {
      let answer = false;
      const onYes = () => { answer = true; modal.hide(); };
      yes.addEventListener("click", onYes, { once: true });
      dialog.addEventListener("hidden.bs.modal", () => {
        yes.removeEventListener("click", onYes);
        resolve(answer);
      }, { once: true });
      modal.show();
    });
  }

  window.hubextras = { el, api, formatBytes, confirm, page };
})();
