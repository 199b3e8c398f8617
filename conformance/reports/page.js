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
  if (corpusHosts.length) head.append(el("th", {}, "ONNX node corpus"));
  const body = el("tbody");
  reports.forEach((report, index) => {
    const run = report.run;
    const started = run.started.replace("T", " ").slice(0, 16) + " UTC";
    const runCell = el("td", {}, started + " ", el("span", { class: "muted" }, "(" + run.duration_seconds + " s)"));
    if (!run.complete) runCell.append(" ", el("span", { class: "incomplete" }, "INCOMPLETE: " + run.status));
    const row = el("tr", {},
      el("td", {}, el("strong", {}, hostName(report)), " ", el("span", { class: "muted" }, report.host.version)),
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
    if (corpusHosts.length) row.append(corpusSummary(index));
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
  if (failure.reproducer) block.append(...reproducerBlock(failure.reproducer));
  return block;
}

function reproducerBlock(command) {
  const button = el("button", { type: "button" }, "copy");
  button.addEventListener("click", () => {
    const done = () => { button.textContent = "copied"; };
    if (navigator.clipboard) navigator.clipboard.writeText(command).then(done, () => {});
  });
  return [el("div", { class: "muted" }, "reproducer"), el("div", { class: "repro" }, el("code", {}, command), button)];
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
let view = "clauses";
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

// The view, the filters and the open cells live in the address's fragment, so a view can be shared.
function writeHash() {
  const params = new URLSearchParams();
  if (view !== "clauses") params.set("view", view);
  for (const [key, id] of [...FILTERS, ...OPERATOR_FILTERS]) {
    const field = document.getElementById(id);
    if (field && field.value) params.set(key, field.value);
  }
  if (opened) params.set("open", opened);
  if (operatorOpened) params.set("operator", operatorOpened);
  if (caseOpened) params.set("case", caseOpened);
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
  for (const [key, id] of [...FILTERS, ...OPERATOR_FILTERS]) {
    const field = document.getElementById(id);
    if (!field) continue;
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

// -- A history: the reports of one host's releases, oldest first (wasi-nn-conformance report --history). --

// A release's name, linked to its own page: a relative path (no scheme, so no javascript: link).
function hostName(report) {
  const page = report.history ? report.history.page : "";
  return page && !page.includes(":") ? el("a", { href: page }, report.host.name) : report.host.name;
}

// The verdict of the release before, when a history's verdict changed from it.
function changedFrom(hostIndex, id, level, verdict) {
  if (!reports[hostIndex].history || hostIndex === 0) return "";
  const earlier = byHost[hostIndex - 1].get(id);
  const before = earlier ? earlier.verdicts[level] : "not_applicable";
  return before !== verdict ? before : "";
}

function renderChanges() {
  const list = document.getElementById("change-list");
  reports.forEach((report, index) => {
    if (!report.history || index === 0) return;
    for (const change of report.history.changes) {
      const corpus = change.level === "corpus";
      const label = (verdict) => (corpus ? CORPUS_VERDICT_LABELS : LABELS)[verdict] || verdict;
      list.append(el("li", {}, el("code", {}, change.clause), corpus ? " (corpus case): " : " at " + change.level + ": ",
        label(change.before) + " in ", hostName(reports[index - 1]), ", " + label(change.after) + " in ",
        hostName(report)));
    }
  });
  const isHistory = reports.some((report) => report.history);
  if (isHistory && !list.children.length) list.append(el("li", {}, "No verdict changed between consecutive releases."));
  document.getElementById("changes").hidden = !isHistory;
}

function renderMatrix() {
  const table = document.getElementById("matrix");
  const top = el("tr", {}, el("th", { rowspan: "2" }, "clause"), el("th", { rowspan: "2" }, "call"),
    el("th", { rowspan: "2" }, "level"), el("th", { rowspan: "2" }, "errno"));
  const sub = el("tr");
  reports.forEach((report) => {
    top.append(el("th", { colspan: "3" }, hostName(report)));
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
        let title = report.host.name + " \u00b7 " + level + ": " + LABELS[verdict];
        const before = changedFrom(hostIndex, id, level, verdict);
        if (before) title += " (" + LABELS[before] + " in " + reports[hostIndex - 1].host.name + ")";
        const cell = el("td", { class: "cell v-" + verdict + (before ? " changed" : ""), "data-host": String(hostIndex),
          "data-level": level, "data-verdict": verdict, title: title }, SYMBOLS[verdict]);
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

// -- The ONNX node corpus: operators by host, each cell opening to its cases. --

const OUTCOMES = ["passed", "wrong_values", "refused", "crashed", "hung", "out_of_memory", "stray_write",
  "oracle_unavailable"];
const OUTCOME_LABELS = { passed: "passed", wrong_values: "wrong values", refused: "refused", crashed: "crashed",
  hung: "hung", out_of_memory: "out of memory", stray_write: "stray write", oracle_unavailable: "oracle unavailable" };
// Worst first: a cell takes the color of the worst outcome among its cases; a write outside the
// buffer and a dead host are safety failures, a wrong value is worse than a refusal (which at
// least says so), and an oracle that cannot answer says nothing of the host.
const OUTCOME_ORDER = ["stray_write", "crashed", "hung", "out_of_memory", "wrong_values", "refused",
  "oracle_unavailable", "passed"];
const CORPUS_VERDICT_LABELS = { passed: "passed", failed: "failed", expected_failure: "expected failure",
  unexpected_pass: "unexpected pass", oracle_unavailable: "oracle unavailable", not_run: "not run" };
// The order cases are listed in a cell: what fails the run first.
const VERDICT_ORDER = ["failed", "unexpected_pass", "not_run", "expected_failure", "oracle_unavailable", "passed"];
const OPERATOR_FILTERS = [["op", "filter-operator"], ["outcome", "filter-outcome"], ["corpus", "filter-corpus"]];

// Reports written before the corpus existed have no such key: the same as a run without it.
const corpusHosts = reports.map((report, index) => index).filter((index) => reports[index].corpus);
const operatorNames = [...new Set(corpusHosts.flatMap((index) => reports[index].corpus.operators
  .map((row) => row.operator)))].sort();
// Per report: operator name to its counts, and to its cases.
const operatorRows = reports.map((report) => new Map(report.corpus
  ? report.corpus.operators.map((row) => [row.operator, row]) : []));
const operatorCases = reports.map((report) => {
  const byOperator = new Map();
  for (const kase of report.corpus ? report.corpus.cases : []) {
    for (const operator of kase.operators) {
      if (!byOperator.has(operator)) byOperator.set(operator, []);
      byOperator.get(operator).push(kase);
    }
  }
  return byOperator;
});
const operatorTableRows = [];
let operatorOpened = "";
let caseOpened = "";

function worstOutcome(row) {
  return OUTCOME_ORDER.find((outcome) => row[outcome] > 0) || "passed";
}

function failsRun(hostIndex, operator) {
  const row = operatorRows[hostIndex].get(operator);
  if (!row) return false;
  if (row.failed || row.unexpected_pass) return true;
  return (operatorCases[hostIndex].get(operator) || []).some((kase) => kase.verdict === "not_run");
}

function corpusSummary(hostIndex) {
  const corpus = reports[hostIndex].corpus;
  const cell = el("td", { class: "corpus" });
  if (!corpus) {
    cell.append(el("span", { class: "muted" }, "no corpus cases in this run"));
    return cell;
  }
  let first = true;
  for (const outcome of OUTCOMES) {
    const count = corpus.outcomes[outcome];
    if (count === 0 && outcome !== "passed") continue;
    if (!first) cell.append(" \u00b7 ");
    first = false;
    cell.append(el("span", { class: "count", "data-host": String(hostIndex), "data-outcome": outcome },
      String(count)), " " + OUTCOME_LABELS[outcome]);
  }
  const verdicts = corpus.verdicts;
  const judged = [["failed", "failed"], ["expected_failure", "expected"], ["unexpected_pass", "unexpected pass"],
    ["not_run", "not run"]].filter(([verdict]) => verdicts[verdict] || verdict === "failed")
    .map(([verdict, word]) => verdicts[verdict] + " " + word);
  cell.append(el("br"), el("span", { class: "muted" }, corpus.cases.length + " cases (" + corpus.selection + "): " +
    judged.join(" \u00b7 ") + "; " + corpus.out_of_scope.total + " out of scope"));
  return cell;
}

function renderOperatorFilters() {
  if (!corpusHosts.length) return;
  const select = document.getElementById("filter-outcome");
  select.append(el("option", { value: "" }, "every outcome"));
  OUTCOMES.forEach((outcome) => select.append(el("option", { value: outcome }, OUTCOME_LABELS[outcome])));
  select.addEventListener("change", applyOperatorFilters);
  document.getElementById("filter-corpus").addEventListener("change", applyOperatorFilters);
  document.getElementById("filter-operator").addEventListener("input", applyOperatorFilters);
}

function tensorTable(kase) {
  const table = el("table", { class: "tensors" },
    el("tr", {}, el("th", {}, ""), el("th", {}, "name"), el("th", {}, "type"), el("th", {}, "shape")));
  for (const [word, tensors] of [["input", kase.inputs], ["output", kase.outputs]]) {
    for (const tensor of tensors) {
      table.append(el("tr", {}, el("td", {}, word), el("td", {}, el("code", {}, tensor.name)),
        el("td", {}, tensor.type), el("td", {}, "[" + tensor.shape.join(", ") + "]")));
    }
  }
  return table;
}

function caseBlock(hostIndex, kase) {
  const failing = kase.verdict !== "passed";
  const block = el("details", { class: "case", id: "case-" + hostIndex + "-" + kase.id, "data-case": kase.id,
    "data-host": String(hostIndex), "data-outcome": kase.outcome, "data-corpus-verdict": kase.verdict });
  if (failing) block.setAttribute("open", "");
  const where = (kase.call ? " at " + kase.call : "") + (kase.errno ? " (" + kase.errno + ")" : "");
  block.append(el("summary", {}, el("code", {}, kase.id), " ",
    el("span", { class: "badge o-" + kase.outcome }, OUTCOME_LABELS[kase.outcome]), where,
    " \u00b7 " + CORPUS_VERDICT_LABELS[kase.verdict]));
  const facts = el("dl");
  const fact = (term, ...value) => facts.append(el("dt", {}, term), el("dd", {}, ...value));
  fact("what happened", kase.detail);
  fact("verdict", CORPUS_VERDICT_LABELS[kase.verdict]);
  fact("call", kase.call || "none went wrong");
  if (kase.errno) fact("errno", kase.errno);
  fact("largest error", kase.max_error === null ? "none measured" : String(kase.max_error));
  fact("tolerance", kase.tolerance || "none");
  fact("operators", kase.operators.join(", ") + " (opset " + kase.opset + ")");
  fact("test", el("code", {}, kase.test));
  if (kase.departure) {
    const d = kase.departure;
    fact("listed departure", d.entry + ": " + d.reason + " ", d.link ? safeLink(d.link) : "");
  }
  block.append(facts, el("div", { class: "muted" }, "model"), el("pre", {}, kase.model),
    el("div", { class: "muted" }, "inputs and outputs"), tensorTable(kase),
    el("div", { class: "muted" }, "transcript"), el("pre", {}, kase.transcript.join("\n")));
  if (kase.reproducer) block.append(...reproducerBlock(kase.reproducer.command));
  return block;
}

function operatorContent(hostIndex, operator) {
  const report = reports[hostIndex];
  const row = operatorRows[hostIndex].get(operator);
  const box = el("div", { class: "detail" });
  box.append(el("h3", {}, operator + " on " + report.host.name + " (" + report.revision.name + ")"));
  const counts = OUTCOMES.filter((outcome) => row[outcome]).map((outcome) => row[outcome] + " " +
    OUTCOME_LABELS[outcome]);
  box.append(el("p", {}, row.cases + " case" + (row.cases === 1 ? "" : "s") + ": " + counts.join(" \u00b7 ")));
  for (const d of report.corpus.departures) {
    if (d.entry !== "operator " + operator) continue;
    const line = el("p", {}, "Listed departure (" + d.outcomes.map((o) => OUTCOME_LABELS[o] || o).join(", ") + "; " +
      LABELS[d.status] + "): " + d.reason + " ");
    if (d.link) line.append(safeLink(d.link));
    box.append(line);
  }
  const cases = [...(operatorCases[hostIndex].get(operator) || [])].sort((a, b) =>
    VERDICT_ORDER.indexOf(a.verdict) - VERDICT_ORDER.indexOf(b.verdict) ||
    OUTCOME_ORDER.indexOf(a.outcome) - OUTCOME_ORDER.indexOf(b.outcome) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  cases.forEach((kase) => box.append(caseBlock(hostIndex, kase)));
  return box;
}

function toggleOperator(row, hostIndex, operator) {
  const key = hostIndex + ":" + operator;
  const next = row.nextElementSibling;
  operatorOpened = "";
  caseOpened = "";
  if (next && next.classList.contains("detail")) {
    const same = next.dataset.key === key;
    next.remove();
    if (same) { writeHash(); return; }
  }
  const cell = el("td", { colspan: String(1 + corpusHosts.length) }, operatorContent(hostIndex, operator));
  row.after(el("tr", { class: "detail", "data-key": key }, cell));
  operatorOpened = key;
  writeHash();
}

function renderOperators() {
  if (!corpusHosts.length) return;
  document.getElementById("views").hidden = false;
  const without = reports.filter((report) => !report.corpus)
    .map((report) => report.host.name + " (" + report.revision.name + ")");
  if (without.length) {
    const note = document.getElementById("no-corpus");
    note.textContent = "No corpus cases in the run of " + without.join(", ") + ".";
    note.hidden = false;
  }
  const head = el("tr", {}, el("th", {}, "operator"));
  for (const hostIndex of corpusHosts) {
    const report = reports[hostIndex];
    head.append(el("th", {}, report.host.name, " ", el("span", { class: "muted" }, report.revision.name)));
  }
  const body = el("tbody");
  for (const operator of operatorNames) {
    const row = el("tr", { class: "operator", "data-operator": operator }, el("td", { class: "id" }, operator));
    for (const hostIndex of corpusHosts) {
      const counts = operatorRows[hostIndex].get(operator);
      const name = reports[hostIndex].host.name;
      if (!counts) {
        row.append(el("td", { class: "cell o-none", "data-host": String(hostIndex), "data-operator": operator,
          title: "no case of " + operator + " ran on " + name }, "\u2013"));
        continue;
      }
      const worst = worstOutcome(counts);
      const summary = OUTCOMES.filter((outcome) => counts[outcome]).map((outcome) => counts[outcome] + " " +
        OUTCOME_LABELS[outcome]).join(", ");
      let mark = "";
      if (failsRun(hostIndex, operator)) mark = counts.unexpected_pass && !counts.failed ? "!" : "\u2717";
      else if (counts.expected_failure) mark = "\u2248";
      const cell = el("td", { class: "cell open o-" + worst, "data-host": String(hostIndex), "data-operator": operator,
        "data-outcome": worst, "data-passed": String(counts.passed), "data-cases": String(counts.cases),
        title: name + " \u00b7 " + operator + ": " + summary }, counts.passed + "/" + counts.cases);
      if (mark) cell.append(el("span", { class: "mark" }, " " + mark));
      cell.addEventListener("click", () => toggleOperator(row, hostIndex, operator));
      row.append(cell);
    }
    operatorTableRows.push(row);
    body.append(row);
  }
  document.getElementById("operators").append(el("thead", {}, head), body);
}

function applyOperatorFilters() {
  if (!corpusHosts.length) return;
  const text = document.getElementById("filter-operator").value.trim().toLowerCase();
  const outcome = document.getElementById("filter-outcome").value;
  const show = document.getElementById("filter-corpus").value;
  let shown = 0;
  for (const row of operatorTableRows) {
    const operator = row.dataset.operator;
    const present = corpusHosts.filter((hostIndex) => operatorRows[hostIndex].has(operator));
    const counts = present.map((hostIndex) => operatorRows[hostIndex].get(operator));
    const named = !text || operator.toLowerCase().includes(text) || present.some((hostIndex) =>
      (operatorCases[hostIndex].get(operator) || []).some((kase) => kase.id.toLowerCase().includes(text)));
    const failing = present.some((hostIndex) => failsRun(hostIndex, operator));
    const notPassing = counts.some((row) => row.passed < row.cases);
    const visible = named && (!outcome || counts.some((row) => row[outcome] > 0)) &&
      (!show || (show === "failing" ? failing : show === "not_passing" ? notPassing : !notPassing));
    row.hidden = !visible;
    const next = row.nextElementSibling;
    if (next && next.classList.contains("detail")) next.hidden = !visible;
    if (visible) shown += 1;
  }
  document.getElementById("operators-shown").textContent = shown + " of " + operatorTableRows.length + " operators";
  writeHash();
}

function showView(name) {
  view = name === "operators" && corpusHosts.length ? "operators" : "clauses";
  document.getElementById("view-clauses").hidden = view !== "clauses";
  document.getElementById("view-operators").hidden = view !== "operators";
  for (const button of document.querySelectorAll("#views button")) {
    button.setAttribute("aria-pressed", String(button.dataset.view === view));
  }
}

function readView() {
  for (const button of document.querySelectorAll("#views button")) {
    button.addEventListener("click", () => { showView(button.dataset.view); writeHash(); });
  }
  // A link to an operator or a case means the operator view.
  const wanted = requested.get("operator") || requested.get("case") ? "operators" : requested.get("view");
  showView(wanted || "clauses");
}

function splitKey(key) {
  const split = key.indexOf(":");
  return [Number(key.slice(0, split)), key.slice(split + 1)];
}

function openOperatorFromHash() {
  const wantedCase = requested.get("case");
  let operator = "";
  let hostIndex = -1;
  let kase = null;
  if (wantedCase) {
    const [host, id] = splitKey(wantedCase);
    const corpus = reports[host] ? reports[host].corpus : null;
    kase = corpus ? corpus.cases.find((candidate) => candidate.id === id) : null;
    if (kase) { hostIndex = host; operator = kase.operators[0]; }
  } else if (requested.get("operator")) {
    [hostIndex, operator] = splitKey(requested.get("operator"));
  }
  const row = operatorTableRows.find((candidate) => candidate.dataset.operator === operator);
  if (!row || !operatorRows[hostIndex] || !operatorRows[hostIndex].has(operator)) return;
  toggleOperator(row, hostIndex, operator);
  let target = row;
  if (kase) {
    caseOpened = wantedCase;
    const block = document.getElementById("case-" + hostIndex + "-" + kase.id);
    block.setAttribute("open", "");
    target = block;
    writeHash();
  }
  if (target.getBoundingClientRect().top > window.innerHeight) target.scrollIntoView();
}

renderHosts();
renderChanges();
renderFilters();
renderMatrix();
renderOperatorFilters();
renderOperators();
readFilters();
readView();
applyFilters();
applyOperatorFilters();
openFromHash();
openOperatorFromHash();
document.body.dataset.rendered = "true";
