// The map tab (the drawing is map.js).

import { API, api, errorBox } from "./api.js";
import { add, fill, h, loading } from "./dom.js";
import { fmtInt } from "./format.js";
import { indexKey } from "./indexes.js";
import { renderMap } from "./map.js";
import { loadLastQuery } from "./query.js";
import { indexHash, navigate, vectorHash } from "./router.js";
import { scope } from "./scope.js";

const mapStates = new Map();

export async function viewMapTab(body, { bucket, index, info, alive }) {
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
