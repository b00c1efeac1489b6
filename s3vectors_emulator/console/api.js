// The console's client of the emulator: JSON in and out; any refusal becomes an ApiError with the
// server's code and message, shown by errorBox.

import { add, h } from "./dom.js";

export const API = "/_emulator/api";

export class ApiError extends Error {
  constructor(status, code, message, fieldList, auth = false) {
    super(message);
    this.status = status;
    this.code = code;
    this.fieldList = fieldList || null;
    this.auth = auth;
  }
}

export async function api(path, { method = "GET", params, body } = {}) {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  let response;
  try {
    response = await fetch(url, {
      method,
      credentials: "same-origin",
      cache: "no-store",
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, "NetworkError", `The emulator did not answer (${error.message}). Is it still running?`);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = undefined;
  }
  if (!response.ok) {
    // The console endpoints answer {"error": {code, message, fieldList?}}; the AWS operations and the
    // older admin endpoints answer {"message"} with the code in x-amzn-ErrorType.
    const typeHeader = (response.headers.get("x-amzn-ErrorType") || "").split(":")[0];
    const error = (data && data.error) || {};
    const code = error.code || typeHeader || `HTTP ${response.status}`;
    const message = error.message || (data && (data.message || data.Message)) || text.slice(0, 500) || response.statusText;
    const fieldList = error.fieldList || (data && data.fieldList);
    throw new ApiError(response.status, code, message, fieldList, response.status === 401 || response.status === 403);
  }
  if (data === undefined) throw new ApiError(response.status, "BadResponse", `${path} did not answer JSON`);
  return data;
}

export function errorBox(error, title) {
  if (!(error instanceof ApiError)) error = new ApiError(0, error.name || "Error", error.message || String(error));
  const box = h("div", { class: "error-box", role: "alert", "data-testid": "error" });
  if (error.auth) {
    add(box, 
      h("div", null, h("strong", null, "Access denied. "),
        "This emulator checks signatures: open the console with the URL it printed at start (",
        h("code", null, "…/_emulator/ui?token=…"), ")."),
      h("div", { class: "small", style: "margin-top:6px" },
        h("span", { class: "code" }, error.code), h("span", { class: "message" }, error.message),
        error.status ? h("span", { class: "status" }, `HTTP ${error.status}`) : null),
    );
    return box;
  }
  if (title) add(box, h("div", { style: "margin-bottom:4px;font-weight:600" }, title));
  add(box, 
    h("span", { class: "code" }, error.code),
    h("span", { class: "message" }, error.message),
    error.status ? h("span", { class: "status" }, `HTTP ${error.status}`) : null,
  );
  if (error.fieldList && error.fieldList.length) {
    add(box, h("ul", null, error.fieldList.map((f) => h("li", null, h("code", null, f.path ?? ""), " ", f.message ?? ""))));
  }
  return box;
}
