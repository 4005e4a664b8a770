// The servers panel page: a table kept fresh by polling the panel's JSON API, and bulk actions with progress.
"use strict";

const { el, api, confirm } = window.hubextras;
const refreshMs = Math.max(1, parseFloat(document.getElementById("panel").dataset.refresh || "3")) * 1000;
const WORDS = { stop: "Stop", start: "Start", restart: "Restart" };
const APPLIES = { stop: ["running", "starting"], start: ["stopped"], restart: ["running"] };

const query = { search: "", status: "", group: "", sort: "user", offset: 0, limit: 50 };
let page = { items: [], total: 0, paged_by: "users", next_offset: null };
let selection = { mode: "none", keys: new Map() };
const rowProgress = new Map(); // "user/server" -> {state, message} of the latest action on that server
const shownRows = new Map(); // "user/server" -> {tr, cells, checkbox, buttons, item}: rows are updated in place
let currentJob = null;

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
  const cpu = item.usage.cpu_percent === null ? "" : `, ${item.usage.cpu_percent}% CPU`;
  return `${window.hubextras.formatBytes(item.usage.memory_bytes)}${cpu}`;
}

function actionButton(shown, action) {
  return el("button", {
    type: "button", class: `btn btn-sm btn-outline-${action === "stop" ? "danger" : action === "start" ? "success" : "warning"}`,
    onclick: () => runAction(action, { servers: [{ user: shown.item.user, server: shown.item.server }] }),
  }, WORDS[action]);
}

function updateButton(button, item, action) {
  const allowed = item.may[action];
  const applies = APPLIES[action].includes(item.status);
  button.disabled = !(allowed && applies);
  button.title = !allowed ? "The hub does not let you do this for this user." : !applies ? `Cannot ${action} a ${item.status} server.` : `${WORDS[action]} ${item.user}'s server`;
  button.setAttribute("aria-label", `${WORDS[action]} ${item.key}`);
}

// a cell's content is replaced only when what it shows changed: focus and selection inside the table survive
function fill(cell, signature, ...content) {
  if (cell.dataset.shows === signature) return;
  cell.dataset.shows = signature;
  cell.replaceChildren(...content);
}

function makeRow(item) {
  const shown = { item };
  shown.checkbox = el("input", {
    type: "checkbox",
    onchange: (event) => {
      const current = shown.item;
      if (event.target.checked) selection.keys.set(current.key, { user: current.user, server: current.server });
      else selection.keys.delete(current.key);
      selection.mode = selection.keys.size ? "keys" : "none";
      renderSelection();
    },
  });
  shown.cells = {};
  for (const name of ["user", "server", "status", "profile", "image", "started", "activity", "usage"]) {
    shown.cells[name] = el("td", { class: name });
  }
  shown.buttons = { stop: actionButton(shown, "stop"), restart: actionButton(shown, "restart"), start: actionButton(shown, "start") };
  const c = shown.cells;
  shown.tr = el("tr", { dataset: { key: item.key } },
    el("td", {}, shown.checkbox), c.user, c.server, c.status, c.profile, c.image, c.started, c.activity, c.usage,
    el("td", { class: "actions text-nowrap" }, shown.buttons.stop, " ", shown.buttons.restart, " ", shown.buttons.start));
  return shown;
}

function updateRow(shown, item) {
  shown.item = item;
  shown.tr.dataset.status = item.status;
  const c = shown.cells;
  const progress = rowProgress.get(item.key);
  fill(c.user, item.user, item.user);
  fill(c.server, item.server, item.server || el("span", { class: "text-body-secondary" }, "default"));
  const message = progress && progress.message ? `${progress.state}:${progress.message}` : "";
  fill(c.status, `${item.status}|${message}`, el("span", { class: `badge server-${item.status}` }, item.status),
    message ? el("div", { class: `small row-message row-${progress.state}` }, progress.message) : "");
  const choices = Object.entries(item.choices).map(([k, v]) => `${k}: ${v}`).join(", ");
  const profile = item.profile ? `${item.profile}${choices ? ` (${choices})` : ""}` : "-";
  fill(c.profile, profile, profile);
  fill(c.image, item.image || "-", item.image || "-");
  fill(c.started, `${item.started}|${Math.floor(Date.now() / 30000)}`, when(item.started));
  fill(c.activity, `${item.last_activity}|${Math.floor(Date.now() / 30000)}`, when(item.last_activity));
  const usage = usageText(item);
  fill(c.usage, typeof usage === "string" ? usage : usage.outerHTML, usage);
  shown.checkbox.setAttribute("aria-label", `Select ${item.key}`);
  shown.checkbox.checked = selection.mode === "matching" || selection.keys.has(item.key);
  shown.checkbox.disabled = selection.mode === "matching";
  for (const action of Object.keys(shown.buttons)) updateButton(shown.buttons[action], item, action);
}

function renderTable() {
  const body = document.querySelector("#servers tbody");
  const keys = new Set(page.items.map((item) => item.key));
  for (const [key, shown] of shownRows) {
    if (!keys.has(key)) {
      shown.tr.remove();
      shownRows.delete(key);
    }
  }
  page.items.forEach((item, index) => {
    let shown = shownRows.get(item.key);
    if (!shown) {
      shown = makeRow(item);
      shownRows.set(item.key, shown);
    }
    updateRow(shown, item);
    const there = body.children[index];
    if (there !== shown.tr) body.insertBefore(shown.tr, there || null);
  });
  const counted = page.paged_by === "users" ? "users" : "servers";
  const last = Math.min(query.offset + query.limit, page.total);
  document.getElementById("page-info").textContent = page.total ? `${query.offset + 1}-${last} of ${page.total} ${counted}` : `No ${counted} match.`;
  document.getElementById("previous").disabled = query.offset === 0;
  document.getElementById("next").disabled = page.next_offset === null;
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
  try {
    page = await api("api/servers", { query });
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
    const data = await api("api/audit", { query: { limit: 15 } });
    const body = document.querySelector("#audit tbody");
    body.replaceChildren(...data.entries.map((entry) => el("tr", {},
      el("td", {}, new Date(entry.time).toLocaleString()),
      el("td", {}, entry.who),
      el("td", {}, entry.action),
      el("td", {}, entry.server ? `${entry.user}/${entry.server}` : entry.user),
      el("td", { class: entry.result === "failed" ? "text-danger" : "" }, `${entry.result}${entry.message ? `: ${entry.message}` : ""}`),
    )));
  } catch (e) {
    // the table keeps its last contents; the banner already says when the panel is unreachable
  }
}

async function askToConfirm(action) {
  const count = selection.mode === "matching" ? page.total : selection.keys.size;
  if (!count) return;
  const what = selection.mode === "matching" ? `every matching server (${count} ${page.paged_by === "users" ? "users" : "servers"})` : `${count} selected server${count === 1 ? "" : "s"}`;
  const body = selection.mode === "matching" ? { match: { search: query.search, status: query.status, group: query.group } } : { servers: [...selection.keys.values()] };
  const yes = await confirm({
    title: `${WORDS[action]} servers`, body: `${WORDS[action]} ${what}? Servers where this does not apply are skipped.`,
    confirm: `Yes, ${action}`, danger: action !== "start",
  });
  if (yes) runAction(action, body);
}

async function runAction(action, body) {
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
  renderTable();
  renderSelection();
});
for (const button of document.querySelectorAll("[data-bulk]")) button.addEventListener("click", () => askToConfirm(button.dataset.bulk));

loadGroups();
loadPage();
loadAudit();
setInterval(() => { loadPage(); loadAudit(); }, refreshMs);
