// Routing: hash routes to views, and what a view registers to undo when it is left.

import { errorBox } from "./api.js";
import { viewBucket, viewBuckets } from "./buckets.js";
import { add, fill, h } from "./dom.js";
import { viewIndex, viewPickIndex, viewVector } from "./indexes.js";
import { viewOverview } from "./overview.js";
import { viewRequests } from "./requests.js";

export function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = raw.split("?");
  return { path: path || "/", query: new URLSearchParams(query) };
}

export function navigate(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

export const enc = encodeURIComponent;
export const indexHash = (bucket, index, tab) => `#/buckets/${enc(bucket)}/indexes/${enc(index)}${tab ? `/${tab}` : ""}`;
export const vectorHash = (bucket, index, key) => `${indexHash(bucket, index)}/vectors/${enc(key)}`;
export const bucketHash = (bucket) => `#/buckets/${enc(bucket)}`;

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
