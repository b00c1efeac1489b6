// The selected account and region (header selector), and the overview that lists them.

import { API, api } from "./api.js";
import { fill, h, storageGet, storageSet } from "./dom.js";
import { navigate, parseHash, render } from "./router.js";

const DEFAULT_SCOPE = { account: "123456789012", region: "us-east-1" };

export const scope = { ...DEFAULT_SCOPE, ...(storageGet(localStorage, "scope") || {}) };
export let overview = null;
export let overviewAt = 0;

export const scopeKey = (s = scope) => `${s.account}/${s.region}`;
export const scopeParams = () => ({ account: scope.account, region: scope.region });

export async function loadOverview() {
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

export function setScope(next, rerender = true) {
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

export function fillScopeSelect() {
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
