// S3 Vectors emulator console: a single-page app on hash routes, no build step, nothing fetched from
// the network but the emulator's own /_emulator/... endpoints.
//
// Routes:
//   #/                                         overview
//   #/buckets                                  buckets of the selected account/region
//   #/buckets/B                                a bucket and its indexes
//   #/buckets/B/indexes/I[/vectors|query|map|details]
//   #/buckets/B/indexes/I/vectors/KEY          one vector
//   #/query, #/map                             pick an index
//   #/requests                                 the request log

import { boto3Snippet, cliSnippet, jsSnippet } from "./snippets.js";
import { renderMap } from "./map.js";

const API = "/_emulator/api";
const DEFAULT_SCOPE = { account: "123456789012", region: "us-east-1" };
const STORE_PREFIX = "s3v-console:";
const OPERATIONS = [
  "CreateIndex", "CreateVectorBucket", "DeleteIndex", "DeleteVectorBucket", "DeleteVectorBucketPolicy",
  "DeleteVectors", "GetIndex", "GetVectorBucket", "GetVectorBucketPolicy", "GetVectors", "ListIndexes",
  "ListTagsForResource", "ListVectorBuckets", "ListVectors", "PutVectorBucketDefaultIndexMode",
  "PutVectorBucketPolicy", "PutVectors", "QueryVectors", "TagResource", "UntagResource", "UpdateIndexMode",
  "UpdateMetadataConfiguration",
];

// ---------------------------------------------------------------------------------------------
// DOM helpers: every piece of data goes in as text, never as HTML.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

export function svg(tag, attrs, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  if (!attrs) return;
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (name === "value" && "value" in el) el.value = value;
    else if (name === "checked" || name === "selected") el[name] = Boolean(value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// Element.append and replaceChildren would write null and false as text: these skip them.
export function add(el, ...children) {
  append(el, children);
  return el;
}

export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const dash = () => h("span", { class: "dash" }, "—");

// ---------------------------------------------------------------------------------------------
// The API: JSON in and out; any refusal becomes an ApiError with the server's code and message.

export class ApiError extends Error {
  constructor(status, code, message, fieldList, auth = false) {
    super(message);
    this.status = status;
    this.code = code;
    this.fieldList = fieldList || null;
    this.auth = auth;
  }
}

export async function api(path, { method = "GET", params, body } = {}) {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  let response;
  try {
    response = await fetch(url, {
      method,
      credentials: "same-origin",
      cache: "no-store",
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, "NetworkError", `The emulator did not answer (${error.message}). Is it still running?`);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = undefined;
  }
  if (!response.ok) {
    // The console endpoints answer {"error": {code, message, fieldList?}}; the AWS operations and the
    // older admin endpoints answer {"message"} with the code in x-amzn-ErrorType.
    const typeHeader = (response.headers.get("x-amzn-ErrorType") || "").split(":")[0];
    const error = (data && data.error) || {};
    const code = error.code || typeHeader || `HTTP ${response.status}`;
    const message = error.message || (data && (data.message || data.Message)) || text.slice(0, 500) || response.statusText;
    const fieldList = error.fieldList || (data && data.fieldList);
    throw new ApiError(response.status, code, message, fieldList, response.status === 401 || response.status === 403);
  }
  if (data === undefined) throw new ApiError(response.status, "BadResponse", `${path} did not answer JSON`);
  return data;
}

export function errorBox(error, title) {
  if (!(error instanceof ApiError)) error = new ApiError(0, error.name || "Error", error.message || String(error));
  const box = h("div", { class: "error-box", role: "alert", "data-testid": "error" });
  if (error.auth) {
    add(box, 
      h("div", null, h("strong", null, "Access denied. "),
        "This emulator checks signatures: open the console with the URL it printed at start (",
        h("code", null, "…/_emulator/ui?token=…"), ")."),
      h("div", { class: "small", style: "margin-top:6px" },
        h("span", { class: "code" }, error.code), h("span", { class: "message" }, error.message),
        error.status ? h("span", { class: "status" }, `HTTP ${error.status}`) : null),
    );
    return box;
  }
  if (title) add(box, h("div", { style: "margin-bottom:4px;font-weight:600" }, title));
  add(box, 
    h("span", { class: "code" }, error.code),
    h("span", { class: "message" }, error.message),
    error.status ? h("span", { class: "status" }, `HTTP ${error.status}`) : null,
  );
  if (error.fieldList && error.fieldList.length) {
    add(box, h("ul", null, error.fieldList.map((f) => h("li", null, h("code", null, f.path ?? ""), " ", f.message ?? ""))));
  }
  return box;
}

const loading = (what = "Loading…") => h("div", { class: "loading" }, what);

// ---------------------------------------------------------------------------------------------
// Formatting.

export const fmtInt = (n) => (typeof n === "number" ? n.toLocaleString("en-US") : "—");
const pad = (n, w = 2) => String(n).padStart(w, "0");

export function fmtTime(epochSeconds, withMs = false) {
  if (typeof epochSeconds !== "number") return "—";
  const d = new Date(epochSeconds * 1000);
  const day = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return withMs ? `${time}.${pad(d.getMilliseconds(), 3)}` : `${day} ${time}`;
}

function fmtUptime(seconds) {
  const s = Math.floor(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

function fmtBytes(n) {
  if (typeof n !== "number") return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(n < 10 ? 2 : 1)} ${units[i]}`;
}

export function fmtFloat(x, digits = 4) {
  if (typeof x !== "number") return "—";
  if (x !== 0 && (Math.abs(x) < 1e-4 || Math.abs(x) >= 1e6)) return x.toExponential(digits - 1);
  return x.toFixed(digits);
}

export function compactValue(value, max = 60) {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const pretty = (value) => JSON.stringify(value, null, 2);

function prettyPolicy(policy) {
  try {
    return pretty(JSON.parse(policy));
  } catch {
    return policy;
  }
}

function tagChips(tags) {
  const entries = Object.entries(tags || {});
  if (!entries.length) return dash();
  return h("div", { class: "chips" }, entries.map(([k, v]) => h("span", { class: "chip" }, `${k}=${v}`)));
}

function encryptionText(enc) {
  if (!enc || !enc.sseType) return dash();
  return h("div", null, h("span", { class: "badge" }, enc.sseType),
    enc.kmsKeyArn ? h("div", { class: "mono small muted", style: "margin-top:3px;overflow-wrap:anywhere" }, enc.kmsKeyArn) : null);
}

function modeBadge(mode) {
  return mode ? h("span", { class: `badge ${mode === "ENHANCED" ? "accent" : ""}` }, mode) : dash();
}

function statusBadge(status) {
  const cls = status === "ACTIVE" ? "ok" : status === "FAILED" ? "err" : "warn";
  return h("span", { class: `badge ${cls}` }, status || "?");
}

// ---------------------------------------------------------------------------------------------
// Small UI pieces: toast, confirmation dialog, copy to clipboard.

let toastTimer = 0;
export function toast(text) {
  const el = document.getElementById("toast");
  el.textContent = text;
  el.classList.add("show");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove("show"), 2200);
}

function confirmDialog(title, text, okLabel) {
  const dialog = document.getElementById("confirm");
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-text").textContent = text;
  document.getElementById("confirm-ok").textContent = okLabel;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.returnValue = "cancel";
    dialog.showModal();
  });
}

export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      toast("Copied to the clipboard");
      return true;
    }
  } catch {
    // fall through to the selection way
  }
  const area = h("textarea", { style: "position:fixed;top:-1000px;opacity:0" });
  area.value = text;
  add(document.body, area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch {
    ok = false;
  }
  area.remove();
  toast(ok ? "Copied to the clipboard" : "Could not copy: select the text and copy it by hand");
  return ok;
}

function storageGet(storage, name, fallback = null) {
  try {
    const raw = storage.getItem(STORE_PREFIX + name);
    return raw === null ? fallback : JSON.parse(raw);
  } catch {
    return fallback;
  }
}

function storageSet(storage, name, value) {
  try {
    storage.setItem(STORE_PREFIX + name, JSON.stringify(value));
  } catch {
    // storage full or disabled: the console works without it
  }
}

// ---------------------------------------------------------------------------------------------
// The selected account and region (header selector), and the overview that lists them.

export const scope = { ...DEFAULT_SCOPE, ...(storageGet(localStorage, "scope") || {}) };
let overview = null;
let overviewAt = 0;

const scopeKey = (s = scope) => `${s.account}/${s.region}`;
const scopeParams = () => ({ account: scope.account, region: scope.region });

async function loadOverview() {
  overview = await api(`${API}/overview`);
  overviewAt = performance.now();
  const regions = overview.regions || [];
  if (!regions.some((r) => r.account === scope.account && r.region === scope.region)) {
    const fallback = overview.account && overview.region ? { account: overview.account, region: overview.region } : DEFAULT_SCOPE;
    setScope(regions.length ? regions[0] : fallback, false);
  }
  fillScopeSelect();
  fillMeta();
  return overview;
}

function setScope(next, rerender = true) {
  scope.account = next.account;
  scope.region = next.region;
  storageSet(localStorage, "scope", { account: scope.account, region: scope.region });
  fillScopeSelect();
  if (rerender) {
    const route = parseHash();
    // Buckets and indexes belong to one account/region: leave their pages for the bucket list.
    if (route.path.startsWith("/buckets/") || route.path === "/query" || route.path === "/map") navigate("#/buckets");
    else render();
  }
}

function fillScopeSelect() {
  const select = document.getElementById("scope");
  const pairs = (overview && overview.regions ? overview.regions : []).map((r) => ({ account: r.account, region: r.region }));
  if (!pairs.some((p) => scopeKey(p) === scopeKey())) pairs.unshift({ ...scope });
  fill(select, 
    ...pairs.map((p) => h("option", { value: scopeKey(p), selected: scopeKey(p) === scopeKey() }, `${p.account} / ${p.region}`)),
  );
  select.value = scopeKey();
}

function fillMeta() {
  const meta = document.getElementById("topbar-meta");
  const foot = document.getElementById("sidenav-foot");
  if (!overview) return;
  fill(meta, 
    ...[
      overview.auth ? h("span", { class: "badge warn", title: "SigV4 signatures are checked (--auth)" }, "signatures checked") : null,
      h("span", { class: "mono", title: "The endpoint URL for SDKs" }, overview.endpoint || location.origin),
    ].filter(Boolean),
  );
  fill(foot, h("div", null, `v${overview.version}`), h("div", { class: "mono" }, overview.endpoint || location.origin));
}

export const endpointUrl = () => (overview && overview.endpoint) || location.origin;

// ---------------------------------------------------------------------------------------------
// Routing.

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = raw.split("?");
  return { path: path || "/", query: new URLSearchParams(query) };
}

export function navigate(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

const enc = encodeURIComponent;
export const indexHash = (bucket, index, tab) => `#/buckets/${enc(bucket)}/indexes/${enc(index)}${tab ? `/${tab}` : ""}`;
export const vectorHash = (bucket, index, key) => `${indexHash(bucket, index)}/vectors/${enc(key)}`;
const bucketHash = (bucket) => `#/buckets/${enc(bucket)}`;

const ROUTES = [
  [/^\/$/, "overview", () => viewOverview],
  [/^\/buckets$/, "buckets", () => viewBuckets],
  [/^\/buckets\/([^/]+)$/, "buckets", () => viewBucket],
  [/^\/buckets\/([^/]+)\/indexes\/([^/]+)\/vectors\/([^/]+)$/, "buckets", () => viewVector],
  [/^\/buckets\/([^/]+)\/indexes\/([^/]+)(?:\/(vectors|query|map|details))?$/, null, () => viewIndex],
  [/^\/(query|map)$/, null, () => viewPickIndex],
  [/^\/requests$/, "requests", () => viewRequests],
];

let cleanups = [];
export function onLeave(fn) {
  cleanups.push(fn);
}

let renderCount = 0;
export async function render() {
  for (const fn of cleanups.splice(0)) {
    try {
      fn();
    } catch {
      // a view's cleanup must not stop the next view
    }
  }
  const generation = ++renderCount;
  const { path, query } = parseHash();
  const main = document.getElementById("main");
  const root = h("div", { class: "view" });
  fill(main, root);
  document.body.classList.remove("nav-open");
  document.getElementById("nav-toggle").setAttribute("aria-expanded", "false");
  for (const [pattern, nav, view] of ROUTES) {
    const match = path.match(pattern);
    if (!match) continue;
    const params = match.slice(1).map((p) => (p === undefined ? p : safeDecode(p)));
    let section = nav;
    if (!section) section = params[params.length - 1] === "query" ? "query" : params[params.length - 1] === "map" ? "map" : "buckets";
    markNav(section);
    try {
      await view()(root, params, query, () => generation === renderCount);
    } catch (error) {
      if (generation === renderCount) fill(root, errorBox(error));
    }
    return;
  }
  markNav(null);
  add(root, h("div", { class: "page-head" }, h("h1", null, "Not found")), h("p", null, "No such page. ", h("a", { href: "#/" }, "Back to the overview")));
}

function safeDecode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function markNav(section) {
  for (const a of document.querySelectorAll("#sidenav a[data-nav]")) a.classList.toggle("active", a.dataset.nav === section);
}

function crumbs(...items) {
  const nav = h("nav", { class: "crumbs", "aria-label": "Breadcrumbs" });
  items.forEach((item, i) => {
    if (i) add(nav, h("span", { class: "sep" }, "›"));
    add(nav, Array.isArray(item) ? h("a", { href: item[1] }, item[0]) : h("span", { class: "here" }, item));
  });
  return nav;
}

function pageHead(title, ...actions) {
  return h("div", { class: "page-head" }, h("h1", null, title), actions.length ? h("div", { class: "actions" }, actions) : null);
}

function table(columns, rows, attrs = {}) {
  return h("div", { class: "table-wrap" },
    h("table", { class: "data", ...attrs },
      h("thead", null, h("tr", null, columns.map((c) => (c instanceof Node ? c : h("th", typeof c === "object" ? c.attrs : null, typeof c === "object" ? c.label : c))))),
      h("tbody", null, rows)));
}

// ---------------------------------------------------------------------------------------------
// Overview.

async function viewOverview(root, _params, _query, alive) {
  add(root, pageHead("Overview"));
  add(root, loading());
  const data = await loadOverview();
  if (!alive()) return;
  const uptime = h("div", { class: "value", "data-testid": "uptime" }, fmtUptime(data.uptimeSeconds));
  const tick = setInterval(() => {
    uptime.textContent = fmtUptime(data.uptimeSeconds + (performance.now() - overviewAt) / 1000);
  }, 1000);
  onLeave(() => clearInterval(tick));
  const card = (label, value, hint, mono = false, testid = undefined) =>
    h("div", { class: `card${testid === "endpoint" ? " wide" : ""}`, "data-testid": testid },
      h("div", { class: "label" }, label),
      value instanceof Node ? value : h("div", { class: `value${mono ? " mono" : ""}` }, value),
      hint ? h("div", { class: "hint" }, hint) : null);
  const resetButton = h("button", { class: "btn btn-danger", type: "button", "data-testid": "reset", onclick: () => resetEmulator() }, "Reset emulator");
  const refresh = h("button", { class: "btn", type: "button", onclick: () => render() }, "Refresh");
  const regions = data.regions || [];
  fill(root, 
    pageHead("Overview", refresh, resetButton),
    h("div", { class: "cards", "data-testid": "overview-cards" },
      card("Version", data.version, null, false, "version"),
      card("Uptime", uptime),
      card("Data directory", data.dataDir || "memory only", data.dataDir ? "state survives a restart" : "state is lost at exit", Boolean(data.dataDir), "data-dir"),
      card("Signatures", data.auth ? "checked" : "not checked", data.auth ? "--auth: requests must be signed" : "any credentials are accepted", false, "auth"),
      card("Request log", fmtInt(data.requestLogSize), "calls kept at most", false, "log-size"),
      card("Endpoint", data.endpoint || location.origin, "endpoint_url for SDKs", true, "endpoint"),
    ),
    h("div", { class: "panel flush" },
      h("div", { class: "panel-head" }, h("h2", null, "Accounts and regions holding state")),
      regions.length
        ? table(
          ["Account", "Region", { label: "Buckets", attrs: { class: "num" } }, { label: "Indexes", attrs: { class: "num" } }, { label: "Vectors", attrs: { class: "num" } }],
          regions.map((r) =>
            h("tr", { class: "clickable", "data-testid": "region-row", onclick: () => { setScope(r, false); navigate("#/buckets"); } },
              h("td", { class: "key" }, r.account), h("td", { class: "key" }, r.region),
              h("td", { class: "num" }, fmtInt(r.buckets)), h("td", { class: "num" }, fmtInt(r.indexes)), h("td", { class: "num" }, fmtInt(r.vectors)))),
          { "data-testid": "regions-table" })
        : h("div", { class: "empty" }, "No account or region holds any state yet.",
          h("div", null, h("pre", { class: "code" }, `import boto3\n\nclient = boto3.client("s3vectors", endpoint_url="${endpointUrl()}", region_name="us-east-1",\n                      aws_access_key_id="test", aws_secret_access_key="test")\nclient.create_vector_bucket(vectorBucketName="my-bucket")`))),
    ),
  );
}

async function resetEmulator() {
  const where = overview && overview.dataDir ? `, including what is kept in ${overview.dataDir}` : "";
  const ok = await confirmDialog("Reset the emulator?", `Every bucket, index and vector of every account and region is deleted${where}. This cannot be undone.`, "Reset");
  if (!ok) return;
  try {
    await api("/_emulator/reset", { method: "POST" });
    toast("The emulator was reset");
  } catch (error) {
    toast(`Reset failed: ${error.code}: ${error.message}`);
  }
  render();
}

// ---------------------------------------------------------------------------------------------
// Buckets.

async function viewBuckets(root, _params, _query, alive) {
  add(root, crumbs("Buckets"), pageHead("Vector buckets"), loading());
  if (!overview) await loadOverview().catch(() => null);
  const data = await api(`${API}/buckets`, { params: scopeParams() });
  if (!alive()) return;
  const buckets = data.buckets || [];
  // A bucket's policy opens in a row of its own under the bucket, as wide as the table.
  const rows = buckets.flatMap((b) => {
    const policyRow = b.policy
      ? h("tr", { class: "policy-row", "data-testid": "policy-row", hidden: true },
        h("td", { colspan: 8 }, h("pre", { class: "json", "aria-label": `Policy of ${b.name}` }, prettyPolicy(b.policy))))
      : null;
    const toggle = b.policy
      ? h("button", { class: "btn btn-sm btn-ghost", type: "button", "aria-expanded": "false", "data-testid": "policy-toggle",
        onclick: () => {
          policyRow.hidden = !policyRow.hidden;
          toggle.setAttribute("aria-expanded", String(!policyRow.hidden));
          toggle.textContent = policyRow.hidden ? "▸ View policy" : "▾ Hide policy";
        } }, "▸ View policy")
      : dash();
    return [h("tr", { "data-testid": "bucket-row" },
      h("td", { class: "nowrap" }, h("a", { href: bucketHash(b.name), class: "mono", "data-testid": "bucket-link", title: b.arn }, b.name)),
      h("td", { class: "nowrap" }, fmtTime(b.creationTime)),
      h("td", null, encryptionText(b.encryption)),
      h("td", null, tagChips(b.tags)),
      h("td", null, modeBadge(b.defaultIndexMode)),
      h("td", { class: "num" }, fmtInt(b.indexCount)),
      h("td", { class: "num" }, fmtInt(b.vectorCount)),
      h("td", null, toggle)), policyRow].filter(Boolean);
  });
  fill(root, 
    crumbs("Buckets"),
    pageHead("Vector buckets", h("span", { class: "muted mono small" }, `${scope.account} / ${scope.region}`)),
    h("div", { class: "panel flush" },
      buckets.length
        ? table(["Name", "Created", "Encryption", "Tags", "Default index mode", { label: "Indexes", attrs: { class: "num" } }, { label: "Vectors", attrs: { class: "num" } }, "Policy"], rows, { "data-testid": "buckets-table" })
        : h("div", { class: "empty" }, `No vector buckets in ${scope.account} / ${scope.region}.`)),
  );
}

async function fetchIndexes(bucket) {
  const data = await api(`${API}/indexes`, { params: { ...scopeParams(), bucket } });
  return data.indexes || [];
}

async function viewBucket(root, [bucket], _query, alive) {
  add(root, crumbs(["Buckets", "#/buckets"], bucket), pageHead(bucket), loading());
  const [bucketsData, indexes] = await Promise.all([api(`${API}/buckets`, { params: scopeParams() }), fetchIndexes(bucket)]);
  if (!alive()) return;
  const info = (bucketsData.buckets || []).find((b) => b.name === bucket);
  const rows = indexes.map((ix) =>
    h("tr", { "data-testid": "index-row" },
      h("td", null, h("a", { href: indexHash(bucket, ix.name), class: "mono", "data-testid": "index-link" }, ix.name)),
      h("td", { class: "num" }, fmtInt(ix.dimension)),
      h("td", null, ix.distanceMetric),
      h("td", null, ix.dataType),
      h("td", null, modeBadge(ix.indexMode)),
      h("td", null, keyList(ix.nonFilterableMetadataKeys)),
      h("td", null, textSearchList(ix.textSearchConfigurations)),
      h("td", null, tagChips(ix.tags)),
      h("td", { class: "num" }, fmtInt(ix.vectorCount)),
      h("td", { class: "num" }, fmtBytes(ix.memoryBytes)),
      h("td", { class: "nowrap" }, fmtTime(ix.creationTime))));
  fill(root, 
    crumbs(["Buckets", "#/buckets"], bucket),
    pageHead(bucket),
    info
      ? h("div", { class: "panel" },
        h("dl", { class: "kv" },
          h("dt", null, "ARN"), h("dd", { class: "mono" }, info.arn),
          h("dt", null, "Created"), h("dd", null, fmtTime(info.creationTime)),
          h("dt", null, "Encryption"), h("dd", null, encryptionText(info.encryption)),
          h("dt", null, "Default index mode"), h("dd", null, modeBadge(info.defaultIndexMode)),
          h("dt", null, "Tags"), h("dd", null, tagChips(info.tags)),
          h("dt", null, "Policy"), h("dd", null, info.policy ? h("details", { class: "policy" }, h("summary", null, "View policy"), h("pre", { class: "json" }, prettyPolicy(info.policy))) : h("span", { class: "muted" }, "none"))))
      : null,
    h("div", { class: "panel flush" },
      h("div", { class: "panel-head" }, h("h2", null, "Indexes"), h("span", { class: "badge" }, String(indexes.length))),
      indexes.length
        ? table(["Name", { label: "Dimension", attrs: { class: "num" } }, "Metric", "Data type", "Index mode", "Non-filterable keys", "Text search", "Tags", { label: "Vectors", attrs: { class: "num" } }, { label: "Memory", attrs: { class: "num" } }, "Created"], rows, { "data-testid": "indexes-table" })
        : h("div", { class: "empty" }, "This bucket has no indexes.")),
  );
}

function keyList(keys) {
  if (!keys || !keys.length) return dash();
  return h("div", { class: "chips" }, keys.map((k) => h("span", { class: "chip" }, k)));
}

function textSearchList(configs) {
  if (!configs || !configs.length) return dash();
  return h("div", { style: "display:flex;flex-direction:column;gap:3px" },
    configs.map((c) => h("div", { style: "display:flex;gap:6px;align-items:center;white-space:nowrap" },
      h("span", { class: "chip" }, c.metadataKey), c.language ? h("span", { class: "small muted" }, c.language) : null, statusBadge(c.status))));
}

// ---------------------------------------------------------------------------------------------
// An index: its header, tabs, and one of Vectors / Query / Map / Details.

async function viewIndex(root, [bucket, index, tab = "vectors"], query, alive) {
  const title = tab === "vectors" ? null : { query: "Query", map: "Map", details: "Details" }[tab];
  const crumbItems = [["Buckets", "#/buckets"], [bucket, bucketHash(bucket)], title ? [index, indexHash(bucket, index)] : index];
  if (title) crumbItems.push(title);
  add(root, crumbs(...crumbItems), pageHead(index), loading());
  const indexes = await fetchIndexes(bucket);
  if (!alive()) return;
  const info = indexes.find((ix) => ix.name === index);
  if (!info) {
    fill(root, crumbs(...crumbItems), pageHead(index),
      errorBox(new ApiError(404, "NotFoundException", `No index ${index} in bucket ${bucket} (${scope.account} / ${scope.region}).`)));
    return;
  }
  storageSet(localStorage, "last-index", { ...scope, bucket, index });
  const tabs = h("div", { class: "tabs", role: "tablist" },
    [["vectors", "Vectors"], ["query", "Query"], ["map", "Map"], ["details", "Details"]].map(([name, label]) =>
      h("a", { href: indexHash(bucket, index, name === "vectors" ? "" : name), class: name === tab ? "active" : "", role: "tab", "data-tab": name }, label)));
  const body = h("div", { class: "tab-body" });
  fill(root, 
    crumbs(...crumbItems),
    pageHead(index),
    h("div", { class: "subtitle" },
      h("span", { class: "chips" },
        h("span", { class: "chip" }, `dimension ${info.dimension}`), h("span", { class: "chip" }, info.distanceMetric),
        h("span", { class: "chip" }, info.dataType), h("span", { class: "chip" }, info.indexMode || "—"),
        h("span", { class: "chip" }, `${fmtInt(info.vectorCount)} vectors`))),
    tabs,
    body,
  );
  const ctx = { bucket, index, info, alive };
  if (tab === "vectors") await viewVectors(body, ctx);
  else if (tab === "query") await viewQuery(body, ctx, query);
  else if (tab === "map") await viewMapTab(body, ctx);
  else viewDetails(body, ctx);
}

function viewDetails(body, { info }) {
  add(body, h("div", { class: "panel" },
    h("dl", { class: "kv", "data-testid": "index-details" },
      h("dt", null, "ARN"), h("dd", { class: "mono" }, info.arn),
      h("dt", null, "Bucket"), h("dd", { class: "mono" }, info.bucket),
      h("dt", null, "Created"), h("dd", null, fmtTime(info.creationTime)),
      h("dt", null, "Dimension"), h("dd", null, String(info.dimension)),
      h("dt", null, "Distance metric"), h("dd", null, info.distanceMetric),
      h("dt", null, "Data type"), h("dd", null, info.dataType),
      h("dt", null, "Index mode"), h("dd", null, modeBadge(info.indexMode)),
      h("dt", null, "Non-filterable keys"), h("dd", null, keyList(info.nonFilterableMetadataKeys)),
      h("dt", null, "Text search"), h("dd", null, textSearchList(info.textSearchConfigurations)),
      h("dt", null, "Encryption"), h("dd", null, encryptionText(info.encryption)),
      h("dt", null, "Tags"), h("dd", null, tagChips(info.tags)),
      h("dt", null, "Vectors"), h("dd", null, fmtInt(info.vectorCount)),
      h("dt", null, "Memory held"), h("dd", null, fmtBytes(info.memoryBytes)))));
}

// Per index, what the Vectors and Query tabs were showing, so coming back finds them as left.
const vectorStates = new Map();
const queryStates = new Map();
const indexKey = (bucket, index) => `${scopeKey()}/${bucket}/${index}`;

async function viewVectors(body, { bucket, index, alive }) {
  const key = indexKey(bucket, index);
  if (!vectorStates.has(key)) vectorStates.set(key, { prefix: "", filter: "", limit: 50, tokens: [null], page: 0 });
  const st = vectorStates.get(key);
  const prefix = h("input", { type: "search", class: "mono", placeholder: "key prefix", value: st.prefix, "data-testid": "prefix", "aria-label": "Key prefix" });
  const filter = h("textarea", { rows: 1, placeholder: '{"genre": {"$eq": "drama"}}', "data-testid": "filter", "aria-label": "Metadata filter", spellcheck: "false" });
  filter.value = st.filter;
  const limit = h("select", { "aria-label": "Page size" }, [25, 50, 100, 200].map((n) => h("option", { value: n, selected: n === st.limit }, `${n} per page`)));
  const apply = () => {
    st.prefix = prefix.value;
    st.filter = filter.value.trim();
    st.limit = Number(limit.value);
    st.tokens = [null];
    st.page = 0;
    load();
  };
  prefix.addEventListener("keydown", (e) => { if (e.key === "Enter") apply(); });
  filter.addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey || !e.shiftKey)) { e.preventDefault(); apply(); } });
  limit.addEventListener("change", apply);
  const clear = () => { prefix.value = ""; filter.value = ""; apply(); };
  const status = h("div", { class: "muted small", "data-testid": "vectors-status" });
  const errorSlot = h("div", { style: "padding:0 16px" });
  const results = h("div");
  const prev = h("button", { class: "btn btn-sm", type: "button", "data-testid": "prev", onclick: () => { st.page--; load(); } }, "← Previous");
  const next = h("button", { class: "btn btn-sm", type: "button", "data-testid": "next", onclick: () => { st.page++; load(); } }, "Next page →");
  const pageLabel = h("span", { class: "small" });
  add(body, h("div", { class: "panel flush" },
    h("div", { class: "toolbar" },
      h("div", { class: "field" }, h("label", null, "Key prefix"), prefix),
      h("div", { class: "field grow" }, h("label", null, "Metadata filter (JSON)"), filter),
      h("div", { style: "display:flex;gap:8px" },
        h("button", { class: "btn btn-primary", type: "button", "data-testid": "apply", onclick: apply }, "Apply"),
        h("button", { class: "btn", type: "button", onclick: clear }, "Clear"))),
    h("div", { style: "padding:10px 16px 0" }, status),
    h("div", { style: "padding-top:10px" }, errorSlot),
    results,
    h("div", { class: "panel-foot" }, prev, pageLabel, next, h("span", { style: "flex:1" }), limit)));

  async function load() {
    errorSlot.replaceChildren();
    let filterParam;
    if (st.filter) {
      try {
        filterParam = JSON.stringify(JSON.parse(st.filter));
      } catch (error) {
        fill(errorSlot, errorBox(new ApiError(0, "Not JSON", `The filter is not valid JSON: ${error.message}`)));
        results.replaceChildren();
        return;
      }
    }
    fill(results, h("div", { style: "padding:0 16px" }, loading()));
    prev.disabled = next.disabled = true;
    let data;
    try {
      data = await api(`${API}/vectors`, {
        params: { ...scopeParams(), bucket, index, prefix: st.prefix, filter: filterParam, limit: st.limit, nextToken: st.tokens[st.page] },
      });
    } catch (error) {
      if (!alive()) return;
      results.replaceChildren();
      fill(errorSlot, errorBox(error, "The server refused the listing"));
      status.textContent = "";
      pageLabel.textContent = "";
      return;
    }
    if (!alive()) return;
    st.tokens[st.page + 1] = data.nextToken || null;
    st.tokens.length = st.page + 2;
    prev.disabled = st.page === 0;
    next.disabled = !data.nextToken;
    const first = st.page * st.limit + 1;
    const vectors = data.vectors || [];
    pageLabel.textContent = vectors.length ? `Page ${st.page + 1} · ${fmtInt(first)}–${fmtInt(first + vectors.length - 1)}` : `Page ${st.page + 1}`;
    status.textContent = data.matched === null || data.matched === undefined || !(st.prefix || st.filter)
      ? `${fmtInt(data.total)} vectors in the index`
      : `${fmtInt(data.matched)} of ${fmtInt(data.total)} vectors match`;
    if (!vectors.length) {
      fill(results, h("div", { class: "empty" }, st.prefix || st.filter ? "No vector matches." : "This index holds no vectors."));
      return;
    }
    const metaKeys = [...new Set(vectors.flatMap((v) => Object.keys(v.metadata || {})))].sort().slice(0, 8);
    fill(results, table(
      ["Key", ...metaKeys.map((k) => h("th", { class: "mono", style: "font-weight:600" }, k)), "Data (first values)"],
      vectors.map((v) => h("tr", { class: "clickable", "data-testid": "vector-row", "data-key": v.key, onclick: (e) => { if (!e.target.closest("a")) navigate(vectorHash(bucket, index, v.key)); } },
        h("td", { class: "key" }, h("a", { href: vectorHash(bucket, index, v.key) }, v.key)),
        metaKeys.map((k) => h("td", { class: "meta-cell", title: v.metadata && k in v.metadata ? compactValue(v.metadata[k], 400) : "" },
          v.metadata && k in v.metadata ? compactValue(v.metadata[k], 48) : dash())),
        h("td", { class: "head-cell", title: `${v.dimension} values` }, headText(v.head, v.dimension)))),
      { "data-testid": "vectors-table" }));
  }
  await load();
}

function headText(head, dimension) {
  const values = (head || []).slice(0, 6).map((x) => fmtFloat(x, 3));
  const more = (dimension || 0) > values.length ? ", …" : "";
  return `[${values.join(", ")}${more}]`;
}

// ---------------------------------------------------------------------------------------------
// One vector.

async function viewVector(root, [bucket, index, key], _query, alive) {
  const crumbItems = [["Buckets", "#/buckets"], [bucket, bucketHash(bucket)], [index, indexHash(bucket, index)], key];
  add(root, crumbs(...crumbItems), loading());
  const v = await api(`${API}/vector`, { params: { ...scopeParams(), bucket, index, key } }).catch((error) => error);
  if (!alive()) return;
  if (v instanceof Error) {
    fill(root, crumbs(...crumbItems), pageHead(key), errorBox(v));
    return;
  }
  const data = v.data || [];
  const shown = { all: data.length <= 128 };
  const grid = h("div", { class: "values-grid", "data-testid": "values" });
  const toggle = h("button", { class: "btn btn-sm", type: "button" });
  const drawValues = () => {
    const values = shown.all ? data : data.slice(0, 64);
    fill(grid, ...values.map((x, i) => h("span", null, h("i", null, String(i)), fmtFloat(x, 5))));
    toggle.hidden = data.length <= 64;
    toggle.textContent = shown.all ? "Show the first 64" : `Show all ${fmtInt(data.length)} values`;
  };
  toggle.addEventListener("click", () => { shown.all = !shown.all; drawValues(); });
  drawValues();
  const similar = h("a", { class: "btn btn-primary", href: `${indexHash(bucket, index, "query")}?key=${enc(key)}`, "data-testid": "find-similar" }, "Find similar");
  fill(root, 
    crumbs(...crumbItems),
    h("div", { class: "page-head" }, h("h1", { class: "mono", style: "font-size:18px" }, key), h("div", { class: "actions" }, similar)),
    h("div", { class: "cards" },
      h("div", { class: "card" }, h("div", { class: "label" }, "Dimension"), h("div", { class: "value" }, fmtInt(data.length))),
      h("div", { class: "card" }, h("div", { class: "label" }, "Norm (L2)"), h("div", { class: "value mono", "data-testid": "norm" }, fmtFloat(v.norm, 6))),
      h("div", { class: "card" }, h("div", { class: "label" }, "Metadata keys"), h("div", { class: "value" }, String(Object.keys(v.metadata || {}).length)))),
    h("div", { class: "two-col" },
      h("div", { class: "panel" }, h("h2", null, "Metadata"), h("pre", { class: "json", "data-testid": "metadata" }, pretty(v.metadata || {}))),
      h("div", { class: "panel" },
        h("div", { style: "display:flex;align-items:center;gap:8px;margin-bottom:10px;flex-wrap:wrap" },
          h("h2", { style: "margin:0" }, "Values"),
          h("span", { class: "muted small" }, data.length > 64 && !shown.all ? `first 64 of ${fmtInt(data.length)}` : `${fmtInt(data.length)} values`),
          h("span", { style: "flex:1" }), toggle,
          h("button", { class: "btn btn-sm", type: "button", onclick: () => copyText(JSON.stringify(data)) }, "Copy as JSON")),
        grid)),
  );
}

// ---------------------------------------------------------------------------------------------
// The query playground.

const lastQueryName = (bucket, index) => `last-query:${indexKey(bucket, index)}`;
export const loadLastQuery = (bucket, index) => storageGet(sessionStorage, lastQueryName(bucket, index));

async function viewQuery(body, { bucket, index, info, alive }, query) {
  const key = indexKey(bucket, index);
  const searchable = (info.textSearchConfigurations || []).map((c) => c.metadataKey);
  if (!queryStates.has(key)) {
    queryStates.set(key, {
      mode: "key", key: "", vector: "", textKey: searchable[0] || "", text: "", hybridSource: "key", topK: 10, filter: "",
      queryMode: "", returnMetadata: true, returnDistance: true, returnScores: false, lang: "boto3", result: null, sent: null,
    });
  }
  const st = queryStates.get(key);
  const fromKey = query.get("key");
  if (fromKey !== null) {
    st.mode = "key";
    st.key = fromKey;
  }

  const modes = [["key", "Existing key"], ["vector", "Vector"], ["text", "Text"], ["hybrid", "Hybrid"]];
  const modeGroup = h("div", { class: "segmented", role: "radiogroup", "aria-label": "Query by" },
    modes.map(([value, label]) => h("label", null, h("input", { type: "radio", name: "qmode", value, checked: st.mode === value, "data-testid": `mode-${value}` }), label)));
  const keyInput = h("input", { type: "text", class: "mono", value: st.key, placeholder: "vector key", "data-testid": "query-key", "aria-label": "Vector key", list: "query-keys" });
  const vectorInput = h("textarea", { rows: 3, placeholder: `[${Array.from({ length: Math.min(info.dimension, 4) }, (_, i) => (0.1 * (i + 1)).toFixed(1)).join(", ")}${info.dimension > 4 ? ", …" : ""}]   (${info.dimension} numbers)`, "data-testid": "query-vector", "aria-label": "Query vector", spellcheck: "false" });
  vectorInput.value = st.vector;
  const textKey = h("input", { type: "text", class: "mono", value: st.textKey, list: "searchable-keys", placeholder: "metadata key", "data-testid": "text-key", "aria-label": "Searchable metadata key" });
  const textInput = h("input", { type: "text", value: st.text, placeholder: "words to search for", "data-testid": "query-text", "aria-label": "Query text" });
  const hybridSource = h("div", { class: "segmented", role: "radiogroup", "aria-label": "Hybrid vector from" },
    [["key", "from a key"], ["vector", "pasted"]].map(([value, label]) => h("label", null, h("input", { type: "radio", name: "hsrc", value, checked: st.hybridSource === value }), label)));
  const topK = h("input", { type: "number", min: 1, value: st.topK, style: "width:90px", "data-testid": "topk", "aria-label": "topK" });
  const filter = h("textarea", { rows: 2, placeholder: '{"genre": {"$eq": "drama"}}', "data-testid": "query-filter", "aria-label": "Filter", spellcheck: "false" });
  filter.value = st.filter;
  const queryMode = h("select", { "data-testid": "query-mode", "aria-label": "queryMode" },
    [["", "none (index's mode)"], ["ENHANCED", "ENHANCED"], ["CLASSIC", "CLASSIC"]].map(([value, label]) => h("option", { value, selected: st.queryMode === value }, label)));
  const check = (name, label) => h("label", null, h("input", { type: "checkbox", checked: st[name], "data-testid": name, onchange: (e) => { st[name] = e.target.checked; } }), label);
  const run = h("button", { class: "btn btn-primary", type: "submit", "data-testid": "run-query" }, "Run query");
  const keyField = h("div", { class: "field grow" }, h("label", null, "Vector key"), keyInput, h("span", { class: "help" }, "its vector is fetched, then sent as queryVector"));
  const vectorField = h("div", { class: "field grow" }, h("label", null, `Query vector (JSON array of ${info.dimension} numbers)`), vectorInput);
  const textFields = h("div", { class: "form-row" },
    h("div", { class: "field" }, h("label", null, "Searchable key"), textKey),
    h("div", { class: "field grow" }, h("label", null, "Text"), textInput));
  const hybridRow = h("div", { class: "form-row" }, h("div", { class: "field" }, h("span", { class: "field-label" }, "Query vector"), hybridSource));
  const noSearchable = h("div", { class: "notice small" }, "This index has no searchable metadata key (textSearchConfigurations): AWS will refuse a text query.");
  const output = h("div", { "data-testid": "query-output" });
  const codePanel = h("div");

  const sync = () => {
    st.mode = modeGroup.querySelector("input:checked").value;
    st.hybridSource = hybridSource.querySelector("input:checked").value;
    const needsVector = st.mode === "key" || st.mode === "vector" || st.mode === "hybrid";
    const useKey = st.mode === "key" || (st.mode === "hybrid" && st.hybridSource === "key");
    keyField.hidden = !(needsVector && useKey);
    vectorField.hidden = !(needsVector && !useKey);
    textFields.hidden = !(st.mode === "text" || st.mode === "hybrid");
    hybridRow.hidden = st.mode !== "hybrid";
    noSearchable.hidden = textFields.hidden || searchable.length > 0;
    if ((st.mode === "text" || st.mode === "hybrid") && !st.returnScoresTouched) {
      st.returnScores = true;
      form.querySelector('[data-testid="returnScores"]').checked = true;
    }
  };
  const form = h("form", { class: "panel", "data-testid": "query-form", onsubmit: (e) => { e.preventDefault(); runQuery(); } },
    h("div", { class: "form-row" }, h("div", { class: "field" }, h("span", { class: "field-label" }, "Query by"), modeGroup)),
    hybridRow,
    h("div", { class: "form-row" }, keyField, vectorField),
    textFields,
    noSearchable,
    h("div", { class: "form-row" },
      h("div", { class: "field" }, h("label", null, "topK"), topK),
      h("div", { class: "field" }, h("label", null, "queryMode"), queryMode),
      h("div", { class: "field grow" }, h("label", null, "Filter (JSON)"), filter)),
    h("div", { class: "form-row", style: "margin-bottom:0;justify-content:space-between" },
      h("div", { class: "checks" }, check("returnMetadata", "returnMetadata"), check("returnDistance", "returnDistance"), check("returnScores", "returnScores")),
      run),
    h("datalist", { id: "searchable-keys" }, searchable.map((k) => h("option", { value: k }))));
  form.querySelector('[data-testid="returnScores"]').addEventListener("change", () => { st.returnScoresTouched = true; });
  modeGroup.addEventListener("change", sync);
  hybridSource.addEventListener("change", sync);
  for (const [el, name] of [[keyInput, "key"], [vectorInput, "vector"], [textKey, "textKey"], [textInput, "text"], [filter, "filter"]]) {
    el.addEventListener("input", () => { st[name] = el.value; });
  }
  topK.addEventListener("input", () => { st.topK = topK.value; });
  queryMode.addEventListener("change", () => { st.queryMode = queryMode.value; });
  filter.addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); runQuery(); } });

  add(body, form, output, codePanel);
  sync();
  if (st.result) showResult(st.result, st.sent, st.elapsed);
  if (st.error) fill(output, errorBox(st.error, "QueryVectors was refused"));
  if (st.sent) showCode(st.sent);

  async function buildRequest() {
    const request = { vectorBucketName: bucket, indexName: index };
    const k = Number(st.topK);
    request.topK = Number.isFinite(k) && String(st.topK).trim() !== "" ? k : st.topK;
    const needsVector = st.mode === "key" || st.mode === "vector" || st.mode === "hybrid";
    const useKey = st.mode === "key" || (st.mode === "hybrid" && st.hybridSource === "key");
    if (needsVector && useKey) {
      if (!st.key.trim()) throw new ApiError(0, "Missing key", "Type the key of a vector of this index.");
      const v = await api(`${API}/vector`, { params: { ...scopeParams(), bucket, index, key: st.key } });
      request.queryVector = { float32: v.data };
    } else if (needsVector) {
      let values;
      try {
        values = JSON.parse(st.vector);
      } catch (error) {
        throw new ApiError(0, "Not JSON", `The query vector is not valid JSON: ${error.message}`);
      }
      if (values && Array.isArray(values.float32)) values = values.float32;
      if (!Array.isArray(values)) throw new ApiError(0, "Not an array", "The query vector must be a JSON array of numbers, such as [0.1, 0.2, 0.3].");
      request.queryVector = { float32: values };
    }
    if (st.mode === "text" || st.mode === "hybrid") request.queryTexts = [{ metadataKey: st.textKey, text: st.text }];
    if (st.filter.trim()) {
      try {
        request.filter = JSON.parse(st.filter);
      } catch (error) {
        throw new ApiError(0, "Not JSON", `The filter is not valid JSON: ${error.message}`);
      }
    }
    if (st.queryMode) request.queryMode = st.queryMode;
    if (st.returnMetadata) request.returnMetadata = true;
    if (st.returnDistance) request.returnDistance = true;
    if (st.returnScores) request.returnScores = true;
    return request;
  }

  async function runQuery() {
    run.disabled = true;
    fill(output, loading("Querying…"));
    st.error = null;
    let request;
    try {
      request = await buildRequest();
    } catch (error) {
      run.disabled = false;
      st.error = error;
      st.result = null;
      fill(output, errorBox(error, error.status === 404 ? `No vector ${st.key} in this index` : null));
      return;
    }
    st.sent = request;
    showCode(request);
    const began = performance.now();
    try {
      const data = await api(`${API}/query`, { method: "POST", body: { account: scope.account, region: scope.region, request } });
      st.elapsed = performance.now() - began;
      st.result = data.response;
      storageSet(sessionStorage, lastQueryName(bucket, index), {
        queryVector: request.queryVector ? request.queryVector.float32 : null,
        keys: (data.response.vectors || []).map((v) => v.key),
        label: describeQuery(st, request),
        time: Date.now() / 1000,
      });
      if (alive()) showResult(st.result, request, st.elapsed);
    } catch (error) {
      st.result = null;
      st.error = error;
      if (alive()) fill(output, errorBox(error, "QueryVectors was refused"));
    } finally {
      run.disabled = false;
    }
  }

  function showResult(response, request, elapsed) {
    const vectors = response.vectors || [];
    const has = (pick) => vectors.some((v) => pick(v) !== undefined && pick(v) !== null);
    const cols = { distance: has((v) => v.distance), vd: has((v) => v.scores && v.scores.vectorDistance), fused: has((v) => v.scores && v.scores.fused), bm25: has((v) => v.scores && v.scores.bm25Scores), meta: has((v) => v.metadata) };
    const header = ["#", "Key"];
    if (cols.distance) header.push({ label: "Distance", attrs: { class: "num" } });
    if (cols.vd) header.push({ label: "vectorDistance", attrs: { class: "num" } });
    if (cols.fused) header.push({ label: "fused", attrs: { class: "num" } });
    if (cols.bm25) header.push("bm25Scores");
    if (cols.meta) header.push("Metadata");
    const rows = vectors.map((v, i) => h("tr", { "data-testid": "result-row", "data-key": v.key },
      h("td", { class: "num faint" }, String(i + 1)),
      h("td", { class: "key" }, h("a", { href: vectorHash(bucket, index, v.key) }, v.key)),
      cols.distance ? h("td", { class: "num mono", "data-testid": "distance" }, v.distance === undefined ? "—" : fmtFloat(v.distance, 6)) : null,
      cols.vd ? h("td", { class: "num mono" }, v.scores && v.scores.vectorDistance !== undefined ? fmtFloat(v.scores.vectorDistance, 6) : "—") : null,
      cols.fused ? h("td", { class: "num mono" }, v.scores && v.scores.fused !== undefined ? fmtFloat(v.scores.fused, 6) : "—") : null,
      cols.bm25 ? h("td", { class: "mono small nowrap" }, ((v.scores && v.scores.bm25Scores) || []).map((s) => h("div", null, `${s.metadataKey}: ${fmtFloat(s.score, 4)}`))) : null,
      cols.meta ? h("td", { class: "wrap-mono" }, v.metadata ? compactValue(v.metadata, 240) : "—") : null));
    fill(output, h("div", { class: "panel flush", "data-testid": "query-results" },
      h("div", { class: "panel-head" },
        h("h2", null, "Results"),
        h("span", { class: "badge accent", "data-testid": "result-count" }, `${vectors.length} of topK ${request.topK}`),
        response.distanceMetric ? h("span", { class: "badge" }, response.distanceMetric) : null,
        elapsed !== undefined ? h("span", { class: "muted small" }, `${Math.round(elapsed)} ms`) : null,
        h("span", { class: "spacer" }),
        h("a", { href: indexHash(bucket, index, "map"), class: "btn btn-sm" }, "Show on the map"),
        response.nextToken ? h("span", { class: "muted small" }, "more results: nextToken") : null),
      vectors.length ? table(header, rows, { "data-testid": "results-table" }) : h("div", { class: "empty" }, "No vector matched.")));
  }

  function showCode(request) {
    const makers = { boto3: boto3Snippet, cli: cliSnippet, js: jsSnippet };
    const labels = { boto3: "boto3", cli: "AWS CLI", js: "JavaScript SDK v3" };
    const pre = h("pre", { class: "code", "data-testid": "snippet" });
    const buttons = Object.keys(makers).map((lang) =>
      h("button", { class: `btn btn-sm ${lang === st.lang ? "btn-primary" : ""}`, type: "button", "data-lang": lang, "data-testid": `snippet-${lang}`, onclick: () => { st.lang = lang; draw(); } }, labels[lang]));
    const draw = () => {
      pre.textContent = makers[st.lang](request, endpointUrl(), scope.region, Boolean(overview && overview.auth));
      for (const b of buttons) b.classList.toggle("btn-primary", b.dataset.lang === st.lang);
    };
    draw();
    fill(codePanel, h("div", { class: "panel" },
      h("div", { class: "snippet-tabs" }, h("h2", { style: "margin:0 8px 0 0" }, "Copy as"), buttons, h("span", { style: "flex:1" }),
        h("button", { class: "btn btn-sm", type: "button", "data-testid": "copy-snippet", onclick: () => copyText(pre.textContent) }, "Copy")),
      pre));
  }

  if (fromKey !== null && alive()) {
    history.replaceState(null, "", indexHash(bucket, index, "query"));
    await runQuery();
  }
}

function describeQuery(st, request) {
  const parts = [];
  if (st.mode === "key" || (st.mode === "hybrid" && st.hybridSource === "key")) parts.push(`like ${st.key}`);
  else if (request.queryVector) parts.push("a pasted vector");
  if (request.queryTexts) parts.push(`"${request.queryTexts[0].text}" in ${request.queryTexts[0].metadataKey}`);
  if (request.filter) parts.push(`filter ${JSON.stringify(request.filter)}`);
  return `${parts.join(" + ")}, topK ${request.topK}`;
}

// ---------------------------------------------------------------------------------------------
// The map tab (drawing in map.js).

const mapStates = new Map();

async function viewMapTab(body, { bucket, index, info, alive }) {
  const key = indexKey(bucket, index);
  if (!mapStates.has(key)) mapStates.set(key, { colorBy: null, showQuery: true, chosen: false });
  const st = mapStates.get(key);
  const colorSelect = h("select", { "data-testid": "color-by", "aria-label": "Colour by" });
  const showQuery = h("input", { type: "checkbox", checked: st.showQuery, "data-testid": "show-query" });
  const info2 = h("span", { class: "muted small", "data-testid": "map-info" });
  const canvas = h("div", { class: "map-wrap" });
  const legend = h("div", { class: "legend", "data-testid": "legend" });
  const queryInfo = h("div", { class: "small muted", style: "padding:0 16px 12px" });
  const errorSlot = h("div");
  add(body, errorSlot, h("div", { class: "panel flush" },
    h("div", { class: "toolbar" },
      h("div", { class: "field" }, h("label", null, "Colour by"), colorSelect),
      h("div", { class: "checks", style: "padding-bottom:6px" }, h("label", null, showQuery, "Show the last query")),
      h("span", { style: "flex:1" }),
      h("div", { style: "padding-bottom:6px" }, info2)),
    canvas, legend, queryInfo));

  let data = null;
  let last = null;
  async function load() {
    last = loadLastQuery(bucket, index);
    const queryVector = st.showQuery && last && last.queryVector ? last.queryVector : null;
    fill(canvas, loading("Projecting…"));
    errorSlot.replaceChildren();
    try {
      data = await api(`${API}/map`, { method: "POST", body: { account: scope.account, region: scope.region, bucket, index, queryVector } });
    } catch (error) {
      if (!alive()) return;
      canvas.replaceChildren();
      fill(errorSlot, errorBox(error, "The map could not be drawn"));
      return;
    }
    if (!alive()) return;
    const points = data.points || [];
    const keys = [...new Set(points.flatMap((p) => Object.keys(p.metadata || {})))].sort();
    if (!st.chosen && st.colorBy === null) st.colorBy = pickColorKey(points, keys, info);
    fill(colorSelect, h("option", { value: "" }, "(none)"), ...keys.map((k) => h("option", { value: k, selected: k === st.colorBy }, k)));
    colorSelect.value = st.colorBy || "";
    info2.textContent = data.total > data.sampled
      ? `${fmtInt(data.sampled)} of ${fmtInt(data.total)} vectors (a sample)`
      : `${fmtInt(data.sampled)} vectors`;
    draw();
  }
  function draw() {
    const points = data.points || [];
    if (!points.length) {
      fill(canvas, h("div", { class: "empty" }, "This index holds no vectors."));
      legend.replaceChildren();
      queryInfo.replaceChildren();
      return;
    }
    const highlight = st.showQuery && last ? new Set(last.keys || []) : new Set();
    renderMap(canvas, legend, data, {
      colorBy: st.colorBy,
      highlight,
      query: st.showQuery && data.query ? data.query : null,
      onPick: (k) => navigate(vectorHash(bucket, index, k)),
    });
    if (last && st.showQuery) {
      const inSample = points.filter((p) => highlight.has(p.key)).length;
      fill(queryInfo, "Last query: ", h("span", { class: "mono" }, last.label || ""), ` — ${last.keys.length} results, ${inSample} of them on the map`,
        last.queryVector ? "; the diamond is the query vector." : " (a text query: no query point).", " ",
        h("a", { href: indexHash(bucket, index, "query") }, "Open the playground"));
    } else if (!last) {
      fill(queryInfo, "Run a query in the ", h("a", { href: indexHash(bucket, index, "query") }, "playground"), " to see it here.");
    } else {
      queryInfo.replaceChildren();
    }
  }
  // The server's points carry their metadata: a new colour key needs no new projection.
  colorSelect.addEventListener("change", () => { st.colorBy = colorSelect.value || null; st.chosen = true; if (data) draw(); });
  showQuery.addEventListener("change", () => { st.showQuery = showQuery.checked; load(); });
  await load();
}

function pickColorKey(points, keys, info) {
  // A key with a few distinct values colours best; skip the text-search keys (long texts).
  const skip = new Set((info.textSearchConfigurations || []).map((c) => c.metadataKey));
  let best = null;
  let bestCount = Infinity;
  for (const k of keys) {
    if (skip.has(k)) continue;
    const values = new Set(points.map((p) => JSON.stringify((p.metadata || {})[k])));
    if (values.size >= 2 && values.size <= 12 && values.size < bestCount) {
      best = k;
      bestCount = values.size;
    }
  }
  return best || keys.find((k) => !skip.has(k)) || null;
}

// ---------------------------------------------------------------------------------------------
// #/query and #/map without an index: pick one.

async function viewPickIndex(root, [what], _query, alive) {
  const label = what === "query" ? "Query playground" : "Map";
  add(root, crumbs(label), pageHead(label), loading());
  if (!overview) await loadOverview().catch(() => null);
  const bucketsData = await api(`${API}/buckets`, { params: scopeParams() });
  const lists = await Promise.all((bucketsData.buckets || []).map((b) => fetchIndexes(b.name).then((ixs) => ixs.map((ix) => ({ ...ix, bucket: b.name })))));
  if (!alive()) return;
  const all = lists.flat();
  const last = storageGet(localStorage, "last-index");
  const tab = what;
  const rows = all.map((ix) => {
    const recent = last && last.account === scope.account && last.region === scope.region && last.bucket === ix.bucket && last.index === ix.name;
    return h("tr", { class: `clickable${recent ? " selected" : ""}`, "data-testid": "pick-row", onclick: () => navigate(indexHash(ix.bucket, ix.name, tab)) },
      h("td", { class: "key" }, ix.bucket),
      h("td", { class: "key" }, h("a", { href: indexHash(ix.bucket, ix.name, tab) }, ix.name), recent ? h("span", { class: "badge accent", style: "margin-left:8px" }, "last used") : null),
      h("td", { class: "num" }, fmtInt(ix.dimension)), h("td", null, ix.distanceMetric),
      h("td", null, textSearchList(ix.textSearchConfigurations)),
      h("td", { class: "num" }, fmtInt(ix.vectorCount)));
  });
  fill(root, crumbs(label), pageHead(label),
    h("p", { class: "muted" }, what === "query" ? "Pick the index to query." : "Pick the index to draw: its vectors projected on their first two principal components."),
    h("div", { class: "panel flush" },
      all.length
        ? table(["Bucket", "Index", { label: "Dimension", attrs: { class: "num" } }, "Metric", "Text search", { label: "Vectors", attrs: { class: "num" } }], rows, { "data-testid": "pick-table" })
        : h("div", { class: "empty" }, `No index in ${scope.account} / ${scope.region}.`)));
}

// ---------------------------------------------------------------------------------------------
// The request log.

const requestState = { operation: "", status: "", text: "", paused: false, selected: null };
const seenOperations = new Set(OPERATIONS);
const seenStatuses = new Set([200, 400, 403, 404, 409, 429, 500, 503]);

async function viewRequests(root, _params, _query, alive) {
  const st = requestState;
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

// ---------------------------------------------------------------------------------------------
// Start.

function start() {
  // The token of the URL printed under --auth has become a cookie by now: keep it out of the address bar.
  const url = new URL(location.href);
  if (url.searchParams.has("token")) {
    url.searchParams.delete("token");
    history.replaceState(null, "", url.pathname + (url.search || "") + url.hash);
  }
  document.getElementById("scope").addEventListener("change", (e) => {
    const [account, region] = e.target.value.split("/");
    setScope({ account, region });
  });
  const toggle = document.getElementById("nav-toggle");
  toggle.addEventListener("click", () => {
    const open = document.body.classList.toggle("nav-open");
    toggle.setAttribute("aria-expanded", String(open));
  });
  window.addEventListener("hashchange", render);
  fillScopeSelect();
  loadOverview().catch(() => null).finally(render);
}

start();
