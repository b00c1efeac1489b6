// Formatting values for the tables.

import { dash, h } from "./dom.js";

export const fmtInt = (n) => (typeof n === "number" ? n.toLocaleString("en-US") : "—");
export const pad = (n, w = 2) => String(n).padStart(w, "0");

export function fmtTime(epochSeconds, withMs = false) {
  if (typeof epochSeconds !== "number") return "—";
  const d = new Date(epochSeconds * 1000);
  const day = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return withMs ? `${time}.${pad(d.getMilliseconds(), 3)}` : `${day} ${time}`;
}

export function fmtUptime(seconds) {
  const s = Math.floor(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

export function fmtBytes(n) {
  if (typeof n !== "number") return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(n < 10 ? 2 : 1)} ${units[i]}`;
}

export function fmtFloat(x, digits = 4) {
  if (typeof x !== "number") return "—";
  if (x !== 0 && (Math.abs(x) < 1e-4 || Math.abs(x) >= 1e6)) return x.toExponential(digits - 1);
  return x.toFixed(digits);
}

export function compactValue(value, max = 60) {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export const pretty = (value) => JSON.stringify(value, null, 2);

export function prettyPolicy(policy) {
  try {
    return pretty(JSON.parse(policy));
  } catch {
    return policy;
  }
}

export function tagChips(tags) {
  const entries = Object.entries(tags || {});
  if (!entries.length) return dash();
  return h("div", { class: "chips" }, entries.map(([k, v]) => h("span", { class: "chip" }, `${k}=${v}`)));
}

export function encryptionText(encryption) {
  if (!encryption || !encryption.sseType) return dash();
  return h("div", null, h("span", { class: "badge" }, encryption.sseType),
    encryption.kmsKeyArn ? h("div", { class: "mono small muted", style: "margin-top:3px;overflow-wrap:anywhere" }, encryption.kmsKeyArn) : null);
}

export function modeBadge(mode) {
  return mode ? h("span", { class: `badge ${mode === "ENHANCED" ? "accent" : ""}` }, mode) : dash();
}

export function statusBadge(status) {
  const cls = status === "ACTIVE" ? "ok" : status === "FAILED" ? "err" : "warn";
  return h("span", { class: `badge ${cls}` }, status || "?");
}
