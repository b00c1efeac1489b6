// DOM helpers: every piece of data goes in as text, never as HTML; the small pieces every view
// uses (loading line, breadcrumbs, page head, table, toast, confirmation, clipboard, storage).

const STORE_PREFIX = "s3v-console:";

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
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

export const dash = () => h("span", { class: "dash" }, "—");

export const loading = (what = "Loading…") => h("div", { class: "loading" }, what);

export function crumbs(...items) {
  const nav = h("nav", { class: "crumbs", "aria-label": "Breadcrumbs" });
  items.forEach((item, i) => {
    if (i) add(nav, h("span", { class: "sep" }, "›"));
    add(nav, Array.isArray(item) ? h("a", { href: item[1] }, item[0]) : h("span", { class: "here" }, item));
  });
  return nav;
}

export function pageHead(title, ...actions) {
  return h("div", { class: "page-head" }, h("h1", null, title), actions.length ? h("div", { class: "actions" }, actions) : null);
}

export function table(columns, rows, attrs = {}) {
  return h("div", { class: "table-wrap" },
    h("table", { class: "data", ...attrs },
      h("thead", null, h("tr", null, columns.map((c) => (c instanceof Node ? c : h("th", typeof c === "object" ? c.attrs : null, typeof c === "object" ? c.label : c))))),
      h("tbody", null, rows)));
}

// Small UI pieces: toast, confirmation dialog, copy to clipboard.

let toastTimer = 0;
export function toast(text) {
  const el = document.getElementById("toast");
  el.textContent = text;
  el.classList.add("show");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove("show"), 2200);
}

export function confirmDialog(title, text, okLabel) {
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

export function storageGet(storage, name, fallback = null) {
  try {
    const raw = storage.getItem(STORE_PREFIX + name);
    return raw === null ? fallback : JSON.parse(raw);
  } catch {
    return fallback;
  }
}

export function storageSet(storage, name, value) {
  try {
    storage.setItem(STORE_PREFIX + name, JSON.stringify(value));
  } catch {
    // storage full or disabled: the console works without it
  }
}
