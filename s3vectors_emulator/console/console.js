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

import { render } from "./router.js";
import { fillScopeSelect, loadOverview, setScope } from "./scope.js";

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
