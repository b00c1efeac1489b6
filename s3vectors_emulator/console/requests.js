// The request log.

import { api, errorBox } from "./api.js";
import { add, confirmDialog, crumbs, fill, h, loading, pageHead, table, toast } from "./dom.js";
import { fmtTime, pad, pretty } from "./format.js";
import { enc, onLeave } from "./router.js";
import { loadOverview, overview } from "./scope.js";

const requestState = { operation: "", status: "", text: "", paused: false, selected: null };
const seenOperations = new Set();
const seenStatuses = new Set([200, 400, 403, 404, 409, 429, 500, 503]);

export async function viewRequests(root, _params, _query, alive) {
  const st = requestState;
  if (!overview) await loadOverview().catch(() => null);
  for (const name of (overview && overview.operations) || []) seenOperations.add(name);
  const opSelect = h("select", { "data-testid": "req-operation", "aria-label": "Operation" });
  const statusSelect = h("select", { "data-testid": "req-status", "aria-label": "Status" });
  const text = h("input", { type: "search", placeholder: "search key, bucket, error, user agent…", value: st.text, "data-testid": "req-text", "aria-label": "Search" });
  const dot = h("span", { class: "live-dot" });
  const pause = h("button", { class: "btn", type: "button", "data-testid": "req-pause" });
  const clear = h("button", { class: "btn btn-danger", type: "button", "data-testid": "req-clear" }, "Clear");
  const countLabel = h("span", { class: "muted small", "data-testid": "req-count" });
  const tableSlot = h("div");
  const errorSlot = h("div");
  const detail = h("div", { "data-testid": "request-detail-slot" });
  let records = [];

  const fillSelects = () => {
    const ops = [...seenOperations].sort((a, b) => (a.startsWith("/") || a.includes(" ")) - (b.startsWith("/") || b.includes(" ")) || a.localeCompare(b));
    fill(opSelect, h("option", { value: "" }, "All operations"), ...ops.map((op) => h("option", { value: op, selected: op === st.operation }, op)));
    opSelect.value = st.operation;
    const codes = [...seenStatuses].sort((a, b) => a - b);
    fill(statusSelect, 
      h("option", { value: "" }, "All statuses"), h("option", { value: "2xx" }, "2xx"), h("option", { value: "4xx" }, "4xx"), h("option", { value: "5xx" }, "5xx"),
      ...codes.map((c) => h("option", { value: String(c) }, String(c))));
    statusSelect.value = st.status;
  };
  const drawPause = () => {
    fill(pause, st.paused ? "Resume" : "Pause");
    dot.classList.toggle("paused", st.paused);
    dot.title = st.paused ? "paused" : "refreshing every second";
  };
  fillSelects();
  drawPause();

  const visible = () => {
    const needle = st.text.trim().toLowerCase();
    return records.filter((r) => {
      if (!needle) return true;
      const hay = [r.operation, r.account, r.region, r.status, r.errorCode, r.userAgent, r.request ? JSON.stringify(r.request) : ""].join(" ").toLowerCase();
      return hay.includes(needle);
    });
  };

  const draw = () => {
    const shown = visible();
    countLabel.textContent = `${shown.length} shown of ${records.length} fetched`;
    if (!shown.length) {
      fill(tableSlot, h("div", { class: "empty" }, records.length ? "No call matches these filters." : "No API call recorded yet."));
      return;
    }
    fill(tableSlot, table(
      ["Time", "Account", "Region", "Operation", { label: "Status", attrs: { class: "num" } }, "Error code", { label: "Duration", attrs: { class: "num" } }, "User agent"],
      shown.map((r) => h("tr", { class: `clickable${r.id === st.selected ? " selected" : ""}`, "data-testid": "request-row", "data-operation": r.operation, "data-id": r.id, onclick: () => select(r.id) },
        h("td", { class: "mono nowrap small" }, fmtTime(r.time, true)),
        h("td", { class: "mono small nowrap" }, r.account || "—"),
        h("td", { class: "mono small nowrap" }, r.region || "—"),
        h("td", { class: "nowrap", style: "font-weight:500" }, r.operation || "—"),
        h("td", { class: `num status-${String(r.status)[0]}` }, String(r.status)),
        h("td", { class: "mono small nowrap" }, r.errorCode || ""),
        h("td", { class: "num mono small" }, typeof r.durationMs === "number" ? `${r.durationMs.toFixed(1)} ms` : "—"),
        h("td", null, h("div", { class: "ua", title: r.userAgent || "" }, r.userAgent || "—")))),
      { "data-testid": "requests-table" }));
  };

  // A poll answered after the filters changed is dropped: only the newest call draws.
  let inFlight = false;
  let sequence = 0;
  const refresh = async (force = false) => {
    if (inFlight && !force) return;
    const mine = ++sequence;
    inFlight = true;
    try {
      const data = await api("/_emulator/requests", { params: { limit: 500, operation: st.operation, status: st.status } });
      if (!alive() || mine !== sequence) return;
      records = data.requests || [];
      let grew = false;
      for (const r of records) {
        if (r.operation && !seenOperations.has(r.operation)) { seenOperations.add(r.operation); grew = true; }
        if (typeof r.status === "number" && !seenStatuses.has(r.status)) { seenStatuses.add(r.status); grew = true; }
      }
      if (grew) fillSelects();
      errorSlot.replaceChildren();
      draw();
    } catch (error) {
      if (alive() && mine === sequence) fill(errorSlot, errorBox(error, "The request log could not be read"));
    } finally {
      if (mine === sequence) inFlight = false;
    }
  };
  const refilter = () => {
    records = [];
    fill(tableSlot, h("div", { style: "padding:0 16px" }, loading()));
    refresh(true);
  };

  async function select(id) {
    st.selected = id;
    draw();
    fill(detail, loading());
    let r;
    try {
      r = await api(`/_emulator/requests/${enc(id)}`);
    } catch (error) {
      if (alive() && st.selected === id) fill(detail, errorBox(error, "This call is no longer in the log"));
      return;
    }
    if (!alive() || st.selected !== id) return;
    fill(detail, h("div", { class: "panel", "data-testid": "request-detail" },
      h("div", { style: "display:flex;align-items:center;gap:10px;flex-wrap:wrap;margin-bottom:12px" },
        h("h2", { style: "margin:0" }, r.operation || "—"),
        h("span", { class: `badge ${r.status < 300 ? "ok" : r.status < 500 ? "warn" : "err"}` }, String(r.status)),
        r.errorCode ? h("span", { class: "mono small" }, r.errorCode) : null,
        h("span", { style: "flex:1" }),
        h("button", { class: "btn btn-sm", type: "button", onclick: () => { st.selected = null; detail.replaceChildren(); draw(); } }, "Close")),
      h("dl", { class: "kv", style: "margin-bottom:14px" },
        h("dt", null, "Time"), h("dd", null, `${fmtTime(r.time)}.${pad(Math.floor((r.time % 1) * 1000), 3)}`),
        h("dt", null, "Account / region"), h("dd", { class: "mono" }, `${r.account || "—"} / ${r.region || "—"}`),
        h("dt", null, "Duration"), h("dd", null, typeof r.durationMs === "number" ? `${r.durationMs.toFixed(2)} ms` : "—"),
        h("dt", null, "User agent"), h("dd", { class: "mono small" }, r.userAgent || "—"),
        h("dt", null, "Request id"), h("dd", { class: "mono small" }, r.id)),
      h("div", { class: "two-col" },
        h("div", null, h("h3", null, "Request body"), r.request === null || r.request === undefined ? h("p", { class: "muted" }, "none recorded") : h("pre", { class: "json", "data-testid": "request-body" }, pretty(r.request))),
        h("div", null, h("h3", null, "Response body"), r.response === null || r.response === undefined ? h("p", { class: "muted" }, "none recorded") : h("pre", { class: "json", "data-testid": "response-body" }, pretty(r.response))))));
    detail.scrollIntoView({ block: "nearest" });
  }

  opSelect.addEventListener("change", () => { st.operation = opSelect.value; refilter(); });
  statusSelect.addEventListener("change", () => { st.status = statusSelect.value; refilter(); });
  text.addEventListener("input", () => { st.text = text.value; draw(); });
  pause.addEventListener("click", () => { st.paused = !st.paused; drawPause(); if (!st.paused) refresh(true); });
  clear.addEventListener("click", async () => {
    const ok = await confirmDialog("Clear the request log?", "Every recorded call is dropped from the log. Buckets, indexes and vectors are kept.", "Clear");
    if (!ok) return;
    try {
      const answer = await api("/_emulator/requests", { method: "DELETE" });
      toast(`Cleared ${answer.cleared ?? 0} calls`);
      st.selected = null;
      detail.replaceChildren();
    } catch (error) {
      fill(errorSlot, errorBox(error, "The log could not be cleared"));
    }
    refresh(true);
  });

  add(root, 
    crumbs("Requests"),
    pageHead("Requests", h("span", { class: "muted small", style: "display:inline-flex;align-items:center" }, dot, "live"), pause, clear),
    errorSlot,
    h("div", { class: "panel flush" },
      h("div", { class: "toolbar" },
        h("div", { class: "field" }, h("label", null, "Operation"), opSelect),
        h("div", { class: "field" }, h("label", null, "Status"), statusSelect),
        h("div", { class: "field grow" }, h("label", null, "Search"), text)),
      h("div", { style: "padding:8px 16px 0" }, countLabel),
      tableSlot),
    detail,
  );
  await refresh();
  const timer = setInterval(() => {
    if (!st.paused && !document.hidden) refresh();
  }, 1000);
  onLeave(() => clearInterval(timer));
  if (st.selected) select(st.selected);
}
