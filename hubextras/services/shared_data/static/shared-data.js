// The shared-data page: browse, upload (chunked, resumable, with progress), pull, links, audit — over the JSON API,
// with the foundation's helpers (window.hubextras: el, api, formatBytes, confirm, page).
(function () {
  "use strict";
  const { el, formatBytes, confirm, page } = window.hubextras;
  const root = document.getElementById("shared-data");
  const prefix = page.prefix;
  const canWrite = root.dataset.canWrite === "true";
  const chunkBytes = parseInt(root.dataset.chunkBytes, 10);
  const RETRIES = 5;
  let current = "";

  const encodePath = (path) => path.split("/").filter(Boolean).map(encodeURIComponent).join("/");
  const join = (...parts) => parts.filter(Boolean).join("/");
  const sizeText = (count) => (count === null || count === undefined ? "" : formatBytes(count));
  const api = (method, path, body) => window.hubextras.api(path, { method, body });

  function showMessage(text, kind = "danger") {
    const box = document.getElementById("message");
    box.className = `alert alert-${kind}`;
    box.textContent = text;
  }
  function clearMessage() {
    document.getElementById("message").className = "alert d-none";
  }

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function refreshUsage() {
    const usage = await api("GET", "api/usage");
    const bar = document.getElementById("usage-bar");
    bar.style.width = `${usage.percent}%`;
    bar.className = "progress-bar" + (usage.percent > 90 ? " bg-danger" : usage.percent > 75 ? " bg-warning" : "");
    document.getElementById("usage-bar-outer").setAttribute("aria-valuenow", usage.percent);
    document.getElementById("usage-text").textContent = `${usage.text} (${sizeText(usage.free_bytes)} free)`;
  }

  function renderBreadcrumb() {
    const crumbs = document.getElementById("breadcrumb");
    crumbs.replaceChildren();
    const steps = current ? current.split("/") : [];
    const link = (label, path) => el("a", { href: `#${encodePath(path)}` }, label);
    crumbs.append(el("li", { class: "breadcrumb-item" }, steps.length ? link("shared", "") : "shared"));
    steps.forEach((step, i) => {
      const path = steps.slice(0, i + 1).join("/");
      crumbs.append(el("li", { class: "breadcrumb-item" }, i === steps.length - 1 ? step : link(step, path)));
    });
  }

  async function load() {
    current = decodeURIComponent(location.hash.slice(1)).replace(/^\/+|\/+$/g, "");
    renderBreadcrumb();
    const body = document.querySelector("#listing tbody");
    try {
      const listing = await api("GET", `api/files/${encodePath(current)}`);
      body.replaceChildren();
      if (!listing.entries.length) {
        body.append(el("tr", {}, el("td", { colspan: canWrite ? 4 : 3, class: "text-body-secondary" }, "This folder is empty.")));
      }
      for (const entry of listing.entries) body.append(row(entry));
      await refreshUsage();
    } catch (error) {
      showMessage(error.message);
    }
  }

  function row(entry) {
    const name =
      entry.type === "folder"
        ? el("a", { href: `#${encodePath(entry.path)}`, class: "entry-folder" }, el("i", { class: "fa fa-folder me-1", "aria-hidden": "true" }), entry.name)
        : el("a", { href: `${prefix}api/files/${encodePath(entry.path)}`, download: entry.name, class: "entry-file" }, entry.name);
    const cells = [
      el("td", {}, name),
      el("td", { class: "text-end" }, sizeText(entry.size)),
      el("td", {}, entry.modified.replace("T", " ").replace("Z", "")),
    ];
    if (canWrite) {
      cells.push(
        el(
          "td",
          { class: "text-end" },
          el("button", { class: "btn btn-sm btn-secondary me-1", onclick: () => move(entry) }, "Rename or move"),
          el("button", { class: "btn btn-sm btn-danger", onclick: () => askDelete(entry) }, "Delete"),
        ),
      );
    }
    return el("tr", { "data-path": entry.path }, ...cells);
  }

  async function move(entry) {
    const destination = prompt(`New path for ${entry.path} (folders separated by /):`, entry.path);
    if (!destination || destination === entry.path) return;
    try {
      await api("PATCH", `api/files/${encodePath(entry.path)}`, { path: destination });
      await load();
      showMessage(`Moved ${entry.path} to ${destination}.`, "success");
    } catch (error) {
      showMessage(error.message);
    }
  }

  async function askDelete(entry) {
    const what = entry.path + (entry.type === "folder" ? " and everything in it" : "");
    const body = el("p", {}, "Delete ", el("strong", { id: "delete-name" }, what),
      "? Users will no longer find it in ~/shared. This cannot be undone.");
    if (!(await confirm({ title: "Delete?", body, confirm: "Delete", danger: true }))) return;
    try {
      await api("DELETE", `api/files/${encodePath(entry.path)}`);
      await load();
      showMessage(`Deleted ${entry.path}.`, "success");
    } catch (error) {
      showMessage(error.message);
    }
  }

  async function newFolder() {
    const name = prompt("Name of the new folder:");
    if (!name) return;
    try {
      await api("POST", "api/folders", { path: join(current, name) });
      await load();
    } catch (error) {
      showMessage(error.message);
    }
  }

  // --- uploads: each file in pieces below every proxy's body limit; a dropped piece resumes from the server's offset
  function sendPiece(upload, blob, offset, onProgress) {
    return new Promise((resolve, reject) => {
      const request = new XMLHttpRequest();
      request.open("PUT", `${prefix}api/uploads/${upload.id}?offset=${offset}`);
      request.setRequestHeader("X-XSRFToken", page.xsrf);
      request.setRequestHeader("Content-Type", "application/octet-stream");
      request.upload.onprogress = (event) => onProgress(offset + event.loaded);
      request.onload = () => {
        let model = {};
        try {
          model = JSON.parse(request.responseText);
        } catch (e) {
          model = { message: `The service answered ${request.status}.` };
        }
        if (request.status >= 200 && request.status < 300) resolve(model);
        else reject(new ApiError(request.status, model.message));
      };
      request.onerror = () => reject(new ApiError(0, "The connection dropped."));
      request.send(blob);
    });
  }

  async function uploadFile(file, path, overwrite, onProgress) {
    const upload = await api("POST", "api/uploads", { path, size: file.size, overwrite });
    let offset = 0;
    let failures = 0;
    for (;;) {
      const end = Math.min(file.size, offset + (upload.chunk_bytes || chunkBytes));
      try {
        const model = await sendPiece(upload, file.slice(offset, end), offset, onProgress);
        failures = 0;
        if (model.done) return model;
        offset = model.offset;
      } catch (error) {
        if (error.status !== 0 || ++failures > RETRIES) throw error;
        await new Promise((r) => setTimeout(r, 1000 * failures));
        offset = (await api("GET", `api/uploads/${upload.id}`)).offset; // resume where the server stands
      }
    }
  }

  async function uploadAll(files) {
    if (!files.length) return;
    clearMessage();
    const total = files.reduce((sum, f) => sum + f.size, 0) || 1;
    const box = document.getElementById("uploads");
    const label = el("div", { class: "small mb-1", id: "upload-label" });
    // no width animation: the bar shows where the upload stands, not where it stood
    const bar = el("div", { class: "progress-bar progress-bar-striped progress-bar-animated", style: "width: 0%; transition: none" });
    const outer = el("div", { class: "progress", role: "progressbar", "aria-label": "Upload progress", id: "upload-progress" }, bar);
    box.replaceChildren(label, outer);
    const overwrite = document.getElementById("overwrite").checked;
    let finished = 0;
    try {
      for (const file of files) {
        const relative = file.webkitRelativePath || file.name;
        label.textContent = `Uploading ${relative} (${sizeText(file.size)})…`;
        await uploadFile(file, join(current, relative), overwrite, (sent) => {
          const percent = Math.min(100, (100 * (finished + sent)) / total);
          bar.style.width = `${percent}%`;
          outer.setAttribute("aria-valuenow", Math.round(percent));
        });
        finished += file.size;
      }
      bar.style.width = "100%";
      bar.className = "progress-bar bg-success";
      outer.setAttribute("aria-valuenow", 100);
      label.textContent = `Uploaded ${files.length} file${files.length === 1 ? "" : "s"} (${sizeText(finished)}).`;
      label.id = "upload-done";
    } catch (error) {
      bar.className = "progress-bar bg-danger";
      label.textContent = "Upload stopped.";
      showMessage(error.message);
    }
    await load();
  }

  // --- pulls, streamed progress
  async function startPull(event) {
    event.preventDefault();
    const form = event.target;
    const log = document.getElementById("pull-log");
    log.classList.remove("d-none");
    log.textContent = "";
    const request = {
      kind: form.kind.value,
      url: form.url.value.trim(),
      ref: form.ref.value.trim(),
      name: form.name.value.trim(),
      into: current,
      replace: form.replace.checked,
    };
    try {
      const job = await api("POST", "api/pulls", request);
      // EventSource cannot send headers: JupyterHub reads the XSRF token of this cookie request from `_xsrf`
      const events = new EventSource(`${prefix}api/pulls/${job.id}/events?_xsrf=${encodeURIComponent(page.xsrf)}`);
      events.onerror = () => {
        if (events.readyState === EventSource.CLOSED) log.dataset.state = "failed";
      };
      events.onmessage = (message) => {
        log.textContent += JSON.parse(message.data) + "\n";
        log.scrollTop = log.scrollHeight;
      };
      events.addEventListener("end", async (message) => {
        events.close();
        const outcome = JSON.parse(message.data);
        log.dataset.state = outcome.state;
        await load();
      });
    } catch (error) {
      log.textContent = error.message;
      log.dataset.state = "failed";
    }
  }

  async function makeLink(event) {
    event.preventDefault();
    const form = event.target;
    const query = new URLSearchParams({
      repo: form.repo.value.trim(),
      branch: form.branch.value.trim(),
      open: form.open.value.trim(),
      interface: form.interface.value,
    });
    try {
      document.getElementById("link-result").value = (await api("GET", `api/links/nbgitpuller?${query}`)).link;
    } catch (error) {
      document.getElementById("link-result").value = error.message;
    }
  }

  async function showAudit() {
    const section = document.getElementById("audit");
    const rows = document.getElementById("audit-rows");
    try {
      const entries = await api("GET", "api/audit");
      rows.replaceChildren(
        ...entries.map((e) => {
          const { time, who, action, path, ...details } = e;
          const text = Object.entries(details).map(([k, v]) => `${k}: ${v}`).join(", ");
          return el("tr", {}, el("td", {}, time), el("td", {}, who), el("td", {}, action), el("td", {}, path), el("td", {}, text));
        }),
      );
      section.classList.remove("d-none");
      section.scrollIntoView();
    } catch (error) {
      showMessage(error.message);
    }
  }

  window.addEventListener("hashchange", () => {
    clearMessage();
    load();
  });
  if (canWrite) {
    document.getElementById("new-folder").addEventListener("click", newFolder);
    for (const id of ["upload-files", "upload-folder"]) {
      const input = document.getElementById(id);
      input.addEventListener("change", () => {
        uploadAll(Array.from(input.files));
        input.value = "";
      });
    }
    document.getElementById("pull-form").addEventListener("submit", startPull);
    document.getElementById("link-form").addEventListener("submit", makeLink);
    document.getElementById("copy-link").addEventListener("click", () =>
      navigator.clipboard.writeText(document.getElementById("link-result").value),
    );
    document.getElementById("show-audit").addEventListener("click", showAudit);
  }
  load();
})();
