// An index: its header, tabs, and one of Vectors / Query / Map / Details; one vector's page; and
// #/query, #/map without an index (pick one).

import { API, ApiError, api, errorBox } from "./api.js";
import { fetchIndexes, keyList, textSearchList } from "./buckets.js";
import { add, copyText, crumbs, dash, fill, h, loading, pageHead, storageGet, storageSet, table } from "./dom.js";
import { compactValue, encryptionText, fmtBytes, fmtFloat, fmtInt, fmtTime, modeBadge, pretty, tagChips } from "./format.js";
import { viewMapTab } from "./map-view.js";
import { viewQuery } from "./query.js";
import { bucketHash, enc, indexHash, navigate, vectorHash } from "./router.js";
import { loadOverview, overview, scope, scopeKey, scopeParams } from "./scope.js";

export async function viewIndex(root, [bucket, index, tab = "vectors"], query, alive) {
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
export const queryStates = new Map();
export const indexKey = (bucket, index) => `${scopeKey()}/${bucket}/${index}`;

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

export async function viewVector(root, [bucket, index, key], _query, alive) {
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

// #/query and #/map without an index: pick one.

export async function viewPickIndex(root, [what], _query, alive) {
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
