// The servers panel page: a table kept fresh by polling the panel's JSON API, and bulk actions with progress.
"use strict";

const prefix = document.body.dataset.prefix;
const refreshMs = Math.max(1, parseFloat(document.body.dataset.refresh || "3")) * 1000;
const xsrf = document.querySelector('meta[name="xsrf-token"]').content;
const WORDS = { stop: "Stop", start: "Start", restart: "Restart" };
const APPLIES = { stop: ["running", "starting"], start: ["stopped"], restart: ["running"] };

const query = { search: "", status: "", group: "", sort: "user", offset: 0, limit: 50 };
let page = { items: [], total: 0, paged_by: "users", next_offset: null };
let selection = { mode: "none", keys: new Map() };
const rowProgress = new Map(); // "user/server" -> {state, message} of the latest action on that server
let currentJob = null;
let pending = null; // the action awaiting confirmation

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

async function api(path, options = {}) {
  // JupyterHub checks the XSRF token on every fetch() with the sign-in cookie, GETs included
  const headers = { Accept: "application/json", "X-XSRFToken": xsrf };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(prefix + path, {
    method: options.method || "GET",
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    credentials: "same-origin",
  });
  let data = {};
  try {
    data = await response.json();
  } catch (e) {
    data = { error: `The panel answered ${response.status} without details.` };
  }
  if (!response.ok) throw new Error(data.error || `The panel answered ${response.status}.`);
  return data;
}

function connection(problem) {
  const banner = document.getElementById("connection");
  banner.textContent = problem ? `${problem} Retrying every ${refreshMs / 1000} s...` : "";
  banner.classList.toggle("d-none", !problem);
}

function when(iso) {
  if (!iso) return "-";
  const date = new Date(iso);
  const seconds = Math.round((Date.now() - date.getTime()) / 1000);
  const ago = seconds < 60 ? `${Math.max(seconds, 0)} s ago` : seconds < 3600 ? `${Math.round(seconds / 60)} min ago`
    : seconds < 86400 ? `${Math.round(seconds / 3600)} h ago` : `${Math.round(seconds / 86400)} d ago`;
  return el("time", { datetime: iso, title: date.toLocaleString() }, ago);
}

function usageText(item) {
  if (item.status === "stopped") return "-";
  if (!item.usage) return el("span", { class: "text-body-secondary", title: "This spawner does not report resource use here." }, "not available");
  const mb = (item.usage.memory_bytes / 1048576).toFixed(0);
  const cpu = item.usage.cpu_percent === null ? "" : `, ${item.usage.cpu_percent}% CPU`;
  return `${mb} MB${cpu}`;
}

function actionButton(item, action) {
  const allowed = item.may[action];
  const applies = APPLIES[action].includes(item.status);
  const title = !allowed ? "The hub does not let you do this for this user." : !applies ? `Cannot ${action} a ${item.status} server.` : `${WORDS[action]} ${item.user}'s server`;
  return el("button", {
    type: "button", class: `btn btn-sm btn-outline-${action === "stop" ? "danger" : action === "start" ? "success" : "warning"}`,
    disabled: !(allowed && applies), title, "aria-label": `${WORDS[action]} ${item.key}`,
    onclick: () => runAction(action, { servers: [{ user: item.user, server: item.server }] }),
  }, WORDS[action]);
}

function renderTable() {
  const body = document.querySelector("#servers tbody");
  body.replaceChildren();
  for (const item of page.items) {
    const progress = rowProgress.get(item.key);
    const status = el("td", { class: "status" }, el("span", { class: `badge server-${item.status}` }, item.status));
    if (progress && progress.message) {
      status.append(el("div", { class: `small row-message row-${progress.state}` }, progress.message));
    }
    const choices = Object.entries(item.choices).map(([k, v]) => `${k}: ${v}`).join(", ");
    const checkbox = el("input", {
      type: "checkbox", "aria-label": `Select ${item.key}`,
      checked: selection.mode === "matching" || selection.keys.has(item.key),
      disabled: selection.mode === "matching",
      onchange: (event) => {
        if (event.target.checked) selection.keys.set(item.key, { user: item.user, server: item.server });
        else selection.keys.delete(item.key);
        selection.mode = selection.keys.size ? "keys" : "none";
        renderSelection();
      },
    });
    body.append(el("tr", { dataset: { key: item.key, status: item.status } },
      el("td", {}, checkbox),
      el("td", { class: "user" }, item.user),
      el("td", {}, item.server || el("span", { class: "text-body-secondary" }, "default")),
      status,
      el("td", {}, item.profile ? `${item.profile}${choices ? ` (${choices})` : ""}` : "-"),
      el("td", {}, item.image || "-"),
      el("td", {}, when(item.started)),
      el("td", {}, when(item.last_activity)),
      el("td", {}, usageText(item)),
      el("td", { class: "actions text-nowrap" }, actionButton(item, "stop"), " ", actionButton(item, "restart"), " ", actionButton(item, "start")),
    ));
  }
  const counted = page.paged_by === "users" ? "users" : "servers";
  const last = Math.min(query.offset + query.limit, page.total);
  document.getElementById("page-info").textContent = page.total ? `${query.offset + 1}-${last} of ${page.total} ${counted}` : `No ${counted} match.`;
  document.getElementById("previous").disabled = query.offset === 0;
  document.getElementById("next").disabled = page.next_offset === null;
  document.getElementById("select-page").checked = false;
}

function renderSelection() {
  const summary = document.getElementById("selection-summary");
  let count = 0;
  if (selection.mode === "matching") {
    summary.textContent = `All ${page.total} matching ${page.paged_by === "users" ? "users' servers" : "servers"} selected.`;
    count = page.total;
  } else {
    count = selection.keys.size;
    summary.textContent = count ? `${count} selected.` : "Nothing selected.";
  }
  for (const button of document.querySelectorAll("[data-bulk]")) button.disabled = count === 0;
  for (const box of document.querySelectorAll("#servers tbody input[type=checkbox]")) box.disabled = selection.mode === "matching";
}

async function loadPage() {
  const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== ""));
  try {
    page = await api(`api/servers?${params}`);
    connection(null);
  } catch (e) {
    connection(`Could not load the servers: ${e.message}`);
    return;
  }
  renderTable();
  renderSelection();
}

async function loadAudit() {
  try {
    const data = await api("api/audit?limit=15");
    const body = document.querySelector("#audit tbody");
    body.replaceChildren(...data.entries.map((entry) => el("tr", {},
      el("td", {}, new Date(entry.time * 1000).toLocaleString()),
      el("td", {}, entry.who),
      el("td", {}, entry.action),
      el("td", {}, entry.server ? `${entry.user}/${entry.server}` : entry.user),
      el("td", { class: entry.result === "failed" ? "text-danger" : "" }, `${entry.result}${entry.message ? `: ${entry.message}` : ""}`),
    )));
  } catch (e) {
    // the table keeps its last contents; the banner already says when the panel is unreachable
  }
}

function askToConfirm(action) {
  const count = selection.mode === "matching" ? page.total : selection.keys.size;
  if (!count) return;
  const what = selection.mode === "matching" ? `every matching server (${count} ${page.paged_by === "users" ? "users" : "servers"})` : `${count} selected server${count === 1 ? "" : "s"}`;
  pending = { action, body: selection.mode === "matching" ? { match: { search: query.search, status: query.status, group: query.group } } : { servers: [...selection.keys.values()] } };
  document.getElementById("confirm-text").textContent = `${WORDS[action]} ${what}? Servers where this does not apply are skipped.`;
  document.getElementById("confirm-yes").textContent = `Yes, ${action}`;
  document.getElementById("confirm").classList.remove("d-none");
}

async function runAction(action, body) {
  document.getElementById("confirm").classList.add("d-none");
  let job;
  try {
    job = await api("api/actions", { method: "POST", body: { action, ...body } });
  } catch (e) {
    showJobError(`${WORDS[action]} was refused: ${e.message}`);
    return;
  }
  selection = { mode: "none", keys: new Map() };
  currentJob = job.id;
  showJob(job);
  pollJob(job.id);
}

function showJobError(message) {
  const card = document.getElementById("job");
  card.classList.remove("d-none");
  document.getElementById("job-title").textContent = message;
  document.getElementById("job-bar").style.width = "0%";
  document.getElementById("job-summary").textContent = "";
  document.getElementById("job-failures").replaceChildren();
}

function showJob(job) {
  for (const row of job.rows) rowProgress.set(row.key, row);
  const c = job.counts;
  const total = job.rows.length;
  const finished = c.done + c.failed + c.skipped;
  document.getElementById("job").classList.remove("d-none");
  document.getElementById("job-title").textContent = `${WORDS[job.action]}: ${job.finished ? "finished" : "in progress"}`;
  const bar = document.getElementById("job-bar");
  bar.style.width = `${total ? Math.round((finished / total) * 100) : 100}%`;
  bar.classList.toggle("bg-danger", c.failed > 0);
  document.getElementById("job-summary").textContent = `${c.done} done, ${c.failed} failed, ${c.skipped} skipped, ${c.queued + c.working} to go (of ${total}).`;
  document.getElementById("job-failures").replaceChildren(...job.rows.filter((r) => r.state === "failed").slice(0, 50).map((r) => el("li", { dataset: { key: r.key } }, `${r.key}: ${r.message}`)));
  renderTable();
}

async function pollJob(id) {
  while (currentJob === id) {
    try {
      const job = await api(`api/jobs/${encodeURIComponent(id)}`);
      connection(null);
      showJob(job);
      if (job.finished) {
        await loadPage();
        await loadAudit();
        return;
      }
    } catch (e) {
      connection(`Lost contact with the panel: ${e.message}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

let searchTimer = null;

function readFilters() {
  clearTimeout(searchTimer);
  const names = ["search", "status", "group", "sort", "limit"];
  const before = names.map((name) => String(query[name])).join("\n");
  for (const name of names) query[name] = document.getElementById(name).value;
  query.limit = parseInt(query.limit, 10);
  // unchanged filters keep the page and the selection made under them
  if (names.map((name) => String(query[name])).join("\n") === before) return;
  query.offset = 0;
  selection = { mode: "none", keys: new Map() };
  renderSelection();
  loadPage();
}

async function loadGroups() {
  try {
    const data = await api("api/groups");
    const select = document.getElementById("group");
    select.append(...data.groups.map((g) => el("option", { value: g }, g)));
  } catch (e) {
    // no group filter then; the table still works
  }
}

document.getElementById("filters").addEventListener("submit", (event) => { event.preventDefault(); readFilters(); });
document.getElementById("search").addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(readFilters, 300); });
for (const name of ["status", "group", "sort", "limit"]) document.getElementById(name).addEventListener("change", readFilters);
document.getElementById("previous").addEventListener("click", () => { query.offset = Math.max(0, query.offset - query.limit); loadPage(); });
document.getElementById("next").addEventListener("click", () => { if (page.next_offset !== null) { query.offset = page.next_offset; loadPage(); } });
document.getElementById("select-all-matching").addEventListener("click", () => { selection = { mode: "matching", keys: new Map() }; renderTable(); renderSelection(); });
document.getElementById("clear-selection").addEventListener("click", () => { selection = { mode: "none", keys: new Map() }; renderTable(); renderSelection(); });
document.getElementById("select-page").addEventListener("change", (event) => {
  if (selection.mode === "matching") return;
  for (const item of page.items) {
    if (event.target.checked) selection.keys.set(item.key, { user: item.user, server: item.server });
    else selection.keys.delete(item.key);
  }
  selection.mode = selection.keys.size ? "keys" : "none";
  const checked = event.target.checked;
  renderTable();
  event.target.checked = checked;
  renderSelection();
});
for (const button of document.querySelectorAll("[data-bulk]")) button.addEventListener("click", () => askToConfirm(button.dataset.bulk));
document.getElementById("confirm-yes").addEventListener("click", () => { if (pending) runAction(pending.action, pending.body); pending = null; });
document.getElementById("confirm-no").addEventListener("click", () => { pending = null; document.getElementById("confirm").classList.add("d-none"); });

loadGroups();
loadPage();
loadAudit();
setInterval(() => { loadPage(); loadAudit(); }, refreshMs);
