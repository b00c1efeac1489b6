// The map: an index's vectors on their first two principal components (computed by the server), drawn
// in SVG, coloured by one metadata key, with the last playground query's point and results marked.

const NS = "http://www.w3.org/2000/svg";
// Tableau 10: distinct for up to ten categories.
const CATEGORICAL = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];
// Viridis in six steps, for numbers binned by value.
const SEQUENTIAL = ["#440154", "#414487", "#2a788e", "#22a884", "#7ad151", "#fde725"];
const MISSING = "#c4c9d2";
const NONE = "#4f46e5";
const OTHER = "#8d939e";
const W = 900;
const H = 500;
const M = { left: 58, right: 18, top: 16, bottom: 48 };

function el(tag, attrs, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function html(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function niceTicks(lo, hi, count = 5) {
  const span = hi - lo || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return ticks;
}

const tickText = (t) => (Math.abs(t) >= 1000 || (Math.abs(t) < 0.01 && t !== 0) ? t.toExponential(1) : String(Number(t.toFixed(3))));
const pct = (r) => (typeof r === "number" ? `${(r * 100).toFixed(1)} %` : "?");
const valueText = (v) => (typeof v === "string" ? v : JSON.stringify(v));

// A colour for each point and the legend's entries: categories, numbers in bins, or one colour.
export function colouring(points, colorBy) {
  if (!colorBy) return { colourOf: () => NONE, legend: [] };
  const values = points.map((p) => (p.metadata || {})[colorBy]);
  const present = values.filter((v) => v !== undefined && v !== null);
  const hasMissing = present.length < values.length;
  const distinct = new Map();
  for (const v of present) distinct.set(valueText(v), (distinct.get(valueText(v)) || 0) + 1);
  const numeric = present.length > 0 && present.every((v) => typeof v === "number");
  const missingEntry = hasMissing ? [{ label: "(no value)", colour: MISSING }] : [];
  if (numeric && distinct.size > CATEGORICAL.length) {
    const lo = Math.min(...present);
    const hi = Math.max(...present);
    const bins = SEQUENTIAL.length;
    const width = (hi - lo) / bins || 1;
    const binOf = (v) => Math.min(bins - 1, Math.floor((v - lo) / width));
    const integral = present.every(Number.isInteger);
    const edge = (x) => (integral ? String(Math.round(x)) : Number(x.toPrecision(3)).toString());
    const legend = SEQUENTIAL.map((colour, i) => ({ label: `${edge(lo + i * width)} – ${edge(i === bins - 1 ? hi : lo + (i + 1) * width)}`, colour }));
    return {
      colourOf: (p) => {
        const v = (p.metadata || {})[colorBy];
        return typeof v === "number" ? SEQUENTIAL[binOf(v)] : MISSING;
      },
      legend: [...legend, ...missingEntry],
    };
  }
  let ordered = [...distinct.entries()].sort((a, b) => b[1] - a[1]);
  const overflow = ordered.length > CATEGORICAL.length;
  if (overflow) ordered = ordered.slice(0, CATEGORICAL.length - 1);
  const sortedLabels = ordered.map(([label]) => label);
  if (numeric) sortedLabels.sort((a, b) => Number(a) - Number(b));
  else sortedLabels.sort((a, b) => a.localeCompare(b));
  const colours = new Map(sortedLabels.map((label, i) => [label, CATEGORICAL[i]]));
  const legend = sortedLabels.map((label) => ({ label, colour: colours.get(label), count: distinct.get(label) }));
  if (overflow) legend.push({ label: "(other values)", colour: OTHER });
  return {
    colourOf: (p) => {
      const v = (p.metadata || {})[colorBy];
      if (v === undefined || v === null) return MISSING;
      return colours.get(valueText(v)) || OTHER;
    },
    legend: [...legend, ...missingEntry],
  };
}

export function renderMap(container, legendBox, data, { colorBy, highlight, query, onPick }) {
  const points = data.points || [];
  container.replaceChildren();
  legendBox.replaceChildren();
  if (!points.length) return;
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  if (query) {
    xs.push(query.x);
    ys.push(query.y);
  }
  const extent = (vals) => {
    let lo = Math.min(...vals);
    let hi = Math.max(...vals);
    if (lo === hi) {
      lo -= 1;
      hi += 1;
    }
    const padding = (hi - lo) * 0.05;
    return [lo - padding, hi + padding];
  };
  const [x0, x1] = extent(xs);
  const [y0, y1] = extent(ys);
  const sx = (x) => M.left + ((x - x0) / (x1 - x0)) * (W - M.left - M.right);
  const sy = (y) => H - M.bottom - ((y - y0) / (y1 - y0)) * (H - M.top - M.bottom);

  const root = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "Vectors projected on two principal components", "data-testid": "map-svg" });
  const grid = el("g");
  for (const t of niceTicks(x0, x1)) {
    grid.append(el("line", { class: "grid", x1: sx(t), x2: sx(t), y1: M.top, y2: H - M.bottom }));
    grid.append(el("text", { x: sx(t), y: H - M.bottom + 16, "text-anchor": "middle" }, tickText(t)));
  }
  for (const t of niceTicks(y0, y1)) {
    grid.append(el("line", { class: "grid", x1: M.left, x2: W - M.right, y1: sy(t), y2: sy(t) }));
    grid.append(el("text", { x: M.left - 8, y: sy(t) + 4, "text-anchor": "end" }, tickText(t)));
  }
  grid.append(el("line", { class: "axis", x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom }));
  grid.append(el("line", { class: "axis", x1: M.left, x2: M.left, y1: M.top, y2: H - M.bottom }));
  const explained = data.explained || [];
  grid.append(el("text", { class: "axis-label", x: (M.left + W - M.right) / 2, y: H - 8, "text-anchor": "middle", "data-testid": "x-label" }, `PC1 (${pct(explained[0])})`));
  grid.append(el("text", { class: "axis-label", x: 0, y: 0, "text-anchor": "middle", transform: `translate(16 ${(M.top + H - M.bottom) / 2}) rotate(-90)`, "data-testid": "y-label" }, `PC2 (${pct(explained[1])})`));
  root.append(grid);

  const { colourOf, legend } = colouring(points, colorBy);
  const dots = el("g");
  const hits = el("g");
  const marked = [];
  for (const p of points) {
    const hit = highlight && highlight.has(p.key);
    const dot = el("circle", { class: `pt${hit ? " hit" : ""}`, cx: sx(p.x).toFixed(1), cy: sy(p.y).toFixed(1), r: hit ? 5.5 : 3.6, fill: colourOf(p), "data-key": p.key });
    dot.__point = p;
    if (hit) marked.push(dot);
    else dots.append(dot);
  }
  // Results on top of the rest, each with a ring.
  for (const dot of marked) {
    hits.append(dot);
    hits.append(el("circle", { class: "hit-ring", cx: dot.getAttribute("cx"), cy: dot.getAttribute("cy"), r: 9 }));
  }
  root.append(dots, hits);
  if (query) {
    const qx = sx(query.x);
    const qy = sy(query.y);
    const size = 9;
    root.append(el("path", { class: "query-mark", d: `M${qx} ${qy - size}L${qx + size} ${qy}L${qx} ${qy + size}L${qx - size} ${qy}Z`, "data-testid": "query-point" }));
  }

  const tooltip = html("div", "tooltip");
  tooltip.hidden = true;
  const show = (event, p) => {
    tooltip.replaceChildren(html("div", "k", p.key), html("pre", null, JSON.stringify(p.metadata || {}, null, 1)));
    tooltip.hidden = false;
    const box = container.getBoundingClientRect();
    let left = event.clientX - box.left + 14;
    let top = event.clientY - box.top + 14;
    const tw = tooltip.offsetWidth;
    const th = tooltip.offsetHeight;
    if (left + tw > box.width) left = Math.max(4, event.clientX - box.left - tw - 14);
    if (top + th > box.height) top = Math.max(4, event.clientY - box.top - th - 14);
    tooltip.style.left = `${left}px`;
    tooltip.style.top = `${top}px`;
  };
  root.addEventListener("mousemove", (event) => {
    const p = event.target.__point;
    if (p) show(event, p);
    else tooltip.hidden = true;
  });
  root.addEventListener("mouseleave", () => {
    tooltip.hidden = true;
  });
  root.addEventListener("click", (event) => {
    const p = event.target.__point;
    if (p && onPick) onPick(p.key);
  });
  container.append(root, tooltip);

  for (const entry of legend) {
    const item = html("span");
    const swatch = html("i");
    swatch.style.background = entry.colour;
    item.append(swatch, entry.label);
    if (entry.count !== undefined) item.append(html("span", "faint", `(${entry.count})`));
    legendBox.append(item);
  }
  if (colorBy) legendBox.prepend(html("span", "muted", `${colorBy}:`));
  if (query) {
    const item = html("span");
    item.append(html("i", "q"), "query vector");
    legendBox.append(item);
  }
  if (marked.length) {
    const item = html("span");
    const ring = html("i");
    ring.style.cssText = "background:transparent;border:1.5px solid #111";
    item.append(ring, `query results (${marked.length})`);
    legendBox.append(item);
  }
}
