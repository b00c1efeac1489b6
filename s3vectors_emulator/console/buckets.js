// Buckets, and a bucket's indexes.

import { API, api } from "./api.js";
import { add, crumbs, dash, fill, h, loading, pageHead, table } from "./dom.js";
import { encryptionText, fmtBytes, fmtInt, fmtTime, modeBadge, prettyPolicy, statusBadge, tagChips } from "./format.js";
import { bucketHash, indexHash } from "./router.js";
import { loadOverview, overview, scope, scopeParams } from "./scope.js";

export async function viewBuckets(root, _params, _query, alive) {
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

export async function fetchIndexes(bucket) {
  const data = await api(`${API}/indexes`, { params: { ...scopeParams(), bucket } });
  return data.indexes || [];
}

export async function viewBucket(root, [bucket], _query, alive) {
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

export function keyList(keys) {
  if (!keys || !keys.length) return dash();
  return h("div", { class: "chips" }, keys.map((k) => h("span", { class: "chip" }, k)));
}

export function textSearchList(configs) {
  if (!configs || !configs.length) return dash();
  return h("div", { style: "display:flex;flex-direction:column;gap:3px" },
    configs.map((c) => h("div", { style: "display:flex;gap:6px;align-items:center;white-space:nowrap" },
      h("span", { class: "chip" }, c.metadataKey), c.language ? h("span", { class: "small muted" }, c.language) : null, statusBadge(c.status))));
}
