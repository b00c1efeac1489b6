// The overview: the emulator and the accounts and regions holding state.

import { api } from "./api.js";
import { add, confirmDialog, fill, h, loading, pageHead, table, toast } from "./dom.js";
import { fmtInt, fmtUptime } from "./format.js";
import { navigate, onLeave, render } from "./router.js";
import { endpointUrl, loadOverview, overview, overviewAt, setScope } from "./scope.js";

export async function viewOverview(root, _params, _query, alive) {
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
  // The same archive as GET /_emulator/snapshot, which --init restores (docs/seeding.md).
  const snapshot = h("a", { class: "btn", href: "/_emulator/snapshot", download: "", "data-testid": "snapshot", title: "Every account and region as one archive, for --init" }, "Download snapshot");
  const regions = data.regions || [];
  fill(root, 
    pageHead("Overview", refresh, snapshot, resetButton),
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
