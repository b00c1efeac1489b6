// The query playground.

import { API, ApiError, api, errorBox } from "./api.js";
import { add, copyText, fill, h, loading, storageGet, storageSet, table } from "./dom.js";
import { compactValue, fmtFloat } from "./format.js";
import { indexKey, queryStates } from "./indexes.js";
import { indexHash, vectorHash } from "./router.js";
import { endpointUrl, overview, scope, scopeParams } from "./scope.js";
import { boto3Snippet, cliSnippet, jsSnippet } from "./snippets.js";

const lastQueryName = (bucket, index) => `last-query:${indexKey(bucket, index)}`;
export const loadLastQuery = (bucket, index) => storageGet(sessionStorage, lastQueryName(bucket, index));

export async function viewQuery(body, { bucket, index, info, alive }, query) {
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
