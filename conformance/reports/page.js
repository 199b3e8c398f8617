"use strict";
const reports = JSON.parse(document.getElementById("report-data").textContent);
const LEVELS = ["safety", "function", "errno"];
const SYMBOLS = { passed: "\u2713", failed: "\u2717", expected_failure: "\u2248", unexpected_pass: "!",
  skipped: "\u2013", not_run: "\u2298", not_selected: "\u00b7", not_applicable: "" };
const LABELS = { passed: "passed", failed: "failed", expected_failure: "expected failure",
  unexpected_pass: "unexpected pass", skipped: "skipped", not_run: "not run", not_selected: "not selected",
  not_applicable: "not applicable", not_checked: "not checked" };
const OPENS = new Set(["failed", "expected_failure", "unexpected_pass", "skipped", "not_run"]);
// Verdicts that fail a run: the "failing" filter shows them.
const FAILING = new Set(["failed", "unexpected_pass", "not_run"]);

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (name === "class") node.className = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : String(child));
  return node;
}

function safeLink(url, text) {
  return /^https?:\/\//.test(url) ? el("a", { href: url }, text || url) : document.createTextNode(url);
}

const clauseIds = [];
const clauseMeta = new Map();
for (const report of reports) {
  for (const clause of report.clauses) {
    if (!clauseMeta.has(clause.id)) { clauseMeta.set(clause.id, clause); clauseIds.push(clause.id); }
  }
}
const byHost = reports.map((report) => new Map(report.clauses.map((clause) => [clause.id, clause])));

function tagValues(id, name) {
  const values = new Set();
  for (const clauses of byHost) {
    const clause = clauses.get(id);
    if (clause && clause.tags[name]) clause.tags[name].forEach((value) => values.add(value));
  }
  return values;
}

function renderHosts() {
  const head = el("tr", {}, el("th", {}, "host"), el("th", {}, "revision"), el("th", {}, "run"));
  LEVELS.forEach((level) => head.append(el("th", {}, level + (level === "errno" ? " (SHOULD)" : " (MUST)"))));
  const body = el("tbody");
  reports.forEach((report, index) => {
    const run = report.run;
    const started = run.started.replace("T", " ").slice(0, 16) + " UTC";
    const runCell = el("td", {}, started + " ", el("span", { class: "muted" }, "(" + run.duration_seconds + " s)"));
    if (!run.complete) runCell.append(" ", el("span", { class: "incomplete" }, "INCOMPLETE: " + run.status));
    const row = el("tr", {},
      el("td", {}, el("strong", {}, report.host.name), " ", el("span", { class: "muted" }, report.host.version)),
      el("td", {}, report.revision.name + " ", el("span", { class: "muted", title: report.revision.witx_sha256 },
        report.revision.witx_sha256.slice(0, 12))),
      runCell);
    for (const level of LEVELS) {
      const counts = {};
      for (const clause of report.clauses) {
        const verdict = clause.verdicts[level];
        counts[verdict] = (counts[verdict] || 0) + 1;
      }
      const cell = el("td", { class: "level" });
      const parts = [["passed", "passed"], ["failed", "failed"], ["expected_failure", "expected"],
        ["unexpected_pass", "unexpected pass"], ["skipped", "skipped"], ["not_run", "not run"],
        ["not_selected", "not selected"]];
      let first = true;
      for (const [verdict, word] of parts) {
        const count = counts[verdict] || 0;
        if (count === 0 && verdict !== "passed" && verdict !== "failed") continue;
        if (!first) cell.append(" \u00b7 ");
        first = false;
        const attributes = { class: "count", "data-host": String(index), "data-level": level, "data-verdict": verdict };
        cell.append(el("span", attributes, String(count)), " " + word);
      }
      const passing = (counts.passed || 0) + (counts.unexpected_pass || 0);
      const judged = passing + (counts.failed || 0) + (counts.expected_failure || 0);
      cell.append(el("br"), el("span", { class: "muted" },
        judged ? "pass rate " + (100 * passing / judged).toFixed(1) + " %" : "nothing judged"));
      row.append(cell);
    }
    body.append(row);
  });
  document.getElementById("hosts").append(el("thead", {}, head), body);
}

function fillSelect(id, label, values) {
  const select = document.getElementById(id);
  select.append(el("option", { value: "" }, label));
  [...values].sort().forEach((value) => select.append(el("option", { value: value }, value)));
  select.addEventListener("change", applyFilters);
}

function renderFilters() {
  const calls = new Set(), errnos = new Set(), tensors = new Set();
  for (const id of clauseIds) {
    calls.add(clauseMeta.get(id).call);
    tagValues(id, "errno").forEach((v) => errnos.add(v));
    tagValues(id, "tensor_type").forEach((v) => tensors.add(v));
  }
  fillSelect("filter-call", "every call", calls);
  fillSelect("filter-errno", "every errno", errnos);
  fillSelect("filter-tensor", "every tensor type", tensors);
  fillSelect("filter-level", "every level", LEVELS);
  document.getElementById("filter-status").addEventListener("change", applyFilters);
  document.getElementById("filter-text").addEventListener("input", applyFilters);
}

function failureBlock(failure) {
  const block = el("div", { class: "failure" });
  block.append(el("div", {}, el("strong", {}, failure.expected ? "expected failure" : "failure"), " in ",
    el("code", {}, failure.test), failure.call === null ? "" : ", call #" + failure.call, ": " + failure.outcome));
  const reasons = el("ul");
  failure.reasons.forEach((reason) => reasons.append(el("li", {}, reason)));
  block.append(reasons, el("div", { class: "muted" }, "transcript"), el("pre", {}, failure.transcript.join("\n")));
  if (failure.reproducer) {
    const button = el("button", { type: "button" }, "copy");
    button.addEventListener("click", () => {
      const done = () => { button.textContent = "copied"; };
      if (navigator.clipboard) navigator.clipboard.writeText(failure.reproducer).then(done, () => {});
    });
    block.append(el("div", { class: "muted" }, "reproducer"),
      el("div", { class: "repro" }, el("code", {}, failure.reproducer), button));
  }
  return block;
}

function detailContent(hostIndex, id) {
  const report = reports[hostIndex];
  const clause = byHost[hostIndex].get(id);
  const box = el("div", { class: "detail" });
  box.append(el("h3", {}, id + " on " + report.host.name),
    el("p", {}, clause.statement), el("p", { class: "muted" }, clause.rationale));
  box.append(el("p", {}, LEVELS.map((level) => level + ": " + LABELS[clause.verdicts[level]]).join(" \u00b7 ")));
  for (const d of clause.departures) {
    const line = el("p", {}, "Listed departure at " + d.level + " (" + d.outcome.join(", ") + "; " +
      LABELS[d.status] + "): " + d.reason + " ");
    if (d.link) line.append(safeLink(d.link));
    box.append(line);
  }
  if (clause.not_run.length) box.append(el("p", {}, "Not run: " + clause.not_run.join("; ")));
  if (clause.skipped.length) box.append(el("p", {}, "Skipped: " + clause.skipped.join("; ")));
  clause.failures.forEach((failure) => box.append(failureBlock(failure)));
  if (clause.failure_count > clause.failures.length) {
    box.append(el("p", { class: "muted" }, clause.failure_count + " failing observations in all; report.json keeps " +
      clause.failures.length));
  }
  return box;
}

const rows = [];
const columns = 4 + 3 * reports.length;
const FILTERS = [["call", "filter-call"], ["errno", "filter-errno"], ["tensor", "filter-tensor"],
  ["level", "filter-level"], ["show", "filter-status"], ["clause", "filter-text"]];
let opened = "";

function toggleDetail(row, hostIndex, id) {
  const key = hostIndex + ":" + id;
  const next = row.nextElementSibling;
  opened = "";
  if (next && next.classList.contains("detail")) {
    const same = next.dataset.key === key;
    next.remove();
    if (same) { writeHash(); return; }
  }
  const cell = el("td", { colspan: String(columns) }, detailContent(hostIndex, id));
  row.after(el("tr", { class: "detail", "data-key": key }, cell));
  opened = key;
  writeHash();
}

// The filters and the open cell live in the address's fragment, so a view can be shared.
function writeHash() {
  const params = new URLSearchParams();
  for (const [key, id] of FILTERS) {
    const value = document.getElementById(id).value;
    if (value) params.set(key, value);
  }
  if (opened) params.set("open", opened);
  try {
    history.replaceState(null, "", "#" + params.toString());
  } catch (error) {
    // A page opened from a file may refuse; the filters work all the same.
  }
}

// Read once: writing the filters back into the fragment must not lose the cell to open.
const requested = new URLSearchParams(location.hash.slice(1));

function readFilters() {
  const params = requested;
  for (const [key, id] of FILTERS) {
    const field = document.getElementById(id);
    const value = params.get(key);
    if (value && (field.tagName !== "SELECT" || [...field.options].some((option) => option.value === value))) {
      field.value = value;
    }
  }
}

function openFromHash() {
  const open = requested.get("open");
  if (!open) return;
  const split = open.indexOf(":");
  const hostIndex = Number(open.slice(0, split));
  const id = open.slice(split + 1);
  const row = rows.find((candidate) => candidate.dataset.id === id);
  if (row && byHost[hostIndex] && byHost[hostIndex].has(id)) {
    toggleDetail(row, hostIndex, id);
    if (row.getBoundingClientRect().top > window.innerHeight) row.scrollIntoView();
  }
}

function renderMatrix() {
  const table = document.getElementById("matrix");
  const top = el("tr", {}, el("th", { rowspan: "2" }, "clause"), el("th", { rowspan: "2" }, "call"),
    el("th", { rowspan: "2" }, "level"), el("th", { rowspan: "2" }, "errno"));
  const sub = el("tr");
  reports.forEach((report) => {
    top.append(el("th", { colspan: "3" }, report.host.name));
    LEVELS.forEach((level) => sub.append(el("th", { title: level }, level[0].toUpperCase())));
  });
  const body = el("tbody");
  for (const id of clauseIds) {
    const meta = clauseMeta.get(id);
    const row = el("tr", { class: "clause", "data-id": id },
      el("td", { class: "id", title: meta.statement }, id), el("td", {}, meta.call), el("td", {}, meta.level),
      el("td", {}, meta.tags.errno ? meta.tags.errno.join(", ") : ""));
    reports.forEach((report, hostIndex) => {
      const clause = byHost[hostIndex].get(id);
      for (const level of LEVELS) {
        const verdict = clause ? clause.verdicts[level] : "not_applicable";
        const title = report.host.name + " \u00b7 " + level + ": " + LABELS[verdict];
        const cell = el("td", { class: "cell v-" + verdict, "data-host": String(hostIndex), "data-level": level,
          "data-verdict": verdict, title: title }, SYMBOLS[verdict]);
        if (clause && OPENS.has(verdict)) {
          cell.classList.add("open");
          cell.addEventListener("click", () => toggleDetail(row, hostIndex, id));
        }
        row.append(cell);
      }
    });
    rows.push(row);
    body.append(row);
  }
  table.append(el("thead", {}, top, sub), body);
}

function applyFilters() {
  const call = document.getElementById("filter-call").value;
  const errno = document.getElementById("filter-errno").value;
  const tensor = document.getElementById("filter-tensor").value;
  const level = document.getElementById("filter-level").value;
  const status = document.getElementById("filter-status").value;
  const text = document.getElementById("filter-text").value.trim().toLowerCase();
  let shown = 0;
  for (const row of rows) {
    const id = row.dataset.id;
    const meta = clauseMeta.get(id);
    const verdicts = byHost.map((clauses) => (clauses.get(id) ? clauses.get(id).verdict : "not_applicable"));
    const failing = verdicts.some((v) => FAILING.has(v));
    const visible = (!call || meta.call === call) && (!errno || tagValues(id, "errno").has(errno)) &&
      (!tensor || tagValues(id, "tensor_type").has(tensor)) && (!level || meta.level === level) &&
      (!text || id.toLowerCase().includes(text)) &&
      (!status || (status === "failing" ? failing : !failing));
    row.hidden = !visible;
    const next = row.nextElementSibling;
    if (next && next.classList.contains("detail")) next.hidden = !visible;
    if (visible) shown += 1;
  }
  document.getElementById("shown").textContent = shown + " of " + rows.length + " clauses";
  writeHash();
}

renderHosts();
renderFilters();
renderMatrix();
readFilters();
applyFilters();
openFromHash();
document.body.dataset.rendered = "true";
