// "Copy as": code that sends exactly the QueryVectors request the playground sent, to the same
// endpoint and region, with boto3, the AWS CLI or the AWS SDK for JavaScript v3.

// The order members are written in: the request's own order, which the playground builds in this order.
const ORDER = ["vectorBucketName", "indexName", "indexArn", "topK", "queryVector", "queryTexts", "filter", "queryMode", "returnMetadata", "returnDistance", "returnScores", "nextToken"];

function members(request) {
  const known = ORDER.filter((k) => k in request);
  return [...known, ...Object.keys(request).filter((k) => !ORDER.includes(k))].map((k) => [k, request[k]]);
}

// A Python literal of a JSON value: JSON's string escapes are all valid in Python strings.
function py(value) {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : `float("${value}")`;
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(py).join(", ")}]`;
  return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${py(v)}`).join(", ")}}`;
}

// A JavaScript literal: JSON, with identifier keys unquoted and spaces after the separators.
function js(value) {
  if (value === null || value === undefined) return "null";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(js).join(", ")}]`;
  const entries = Object.entries(value);
  if (!entries.length) return "{}";
  return `{ ${entries.map(([k, v]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${js(v)}`).join(", ")} }`;
}

// One shell word, single-quoted unless it is plainly safe.
export function shellQuote(text) {
  const s = String(text);
  return /^[A-Za-z0-9_.,:/=+@%-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

const creds = (auth) =>
  auth
    ? "# This emulator checks signatures (--auth): use one of its ACCESS_KEY:SECRET_KEY pairs.\n"
    : "";

export function boto3Snippet(request, endpoint, region, auth = false) {
  const key = auth ? "ACCESS_KEY" : "test";
  const secret = auth ? "SECRET_KEY" : "test";
  const args = members(request).map(([k, v]) => `    ${k}=${py(v)},`).join("\n");
  return `import boto3

${creds(auth)}client = boto3.client(
    "s3vectors",
    endpoint_url=${JSON.stringify(endpoint)},
    region_name=${JSON.stringify(region)},
    aws_access_key_id=${JSON.stringify(key)},
    aws_secret_access_key=${JSON.stringify(secret)},
)
response = client.query_vectors(
${args}
)
for vector in response["vectors"]:
    print(vector)
`;
}

// CLI option names: the member names in kebab case (topK → --top-k).
const kebab = (name) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

export function cliSnippet(request, endpoint, region, auth = false) {
  const key = auth ? "ACCESS_KEY" : "test";
  const secret = auth ? "SECRET_KEY" : "test";
  const lines = [`AWS_ACCESS_KEY_ID=${key} AWS_SECRET_ACCESS_KEY=${secret} aws s3vectors query-vectors`, `--endpoint-url ${shellQuote(endpoint)}`, `--region ${shellQuote(region)}`];
  for (const [k, v] of members(request)) {
    if (typeof v === "boolean") lines.push(v ? `--${kebab(k)}` : `--no-${kebab(k)}`);
    else if (typeof v === "object" && v !== null) lines.push(`--${kebab(k)} ${shellQuote(JSON.stringify(v))}`);
    else lines.push(`--${kebab(k)} ${shellQuote(v)}`);
  }
  return `${creds(auth)}${lines.join(" \\\n  ")}\n`;
}

export function jsSnippet(request, endpoint, region, auth = false) {
  const key = auth ? "ACCESS_KEY" : "test";
  const secret = auth ? "SECRET_KEY" : "test";
  const args = members(request).map(([k, v]) => `    ${k}: ${js(v)},`).join("\n");
  return `import { QueryVectorsCommand, S3VectorsClient } from "@aws-sdk/client-s3vectors";

${creds(auth).replace(/^#/, "//")}const client = new S3VectorsClient({
  endpoint: ${JSON.stringify(endpoint)},
  region: ${JSON.stringify(region)},
  credentials: { accessKeyId: ${JSON.stringify(key)}, secretAccessKey: ${JSON.stringify(secret)} },
});

const response = await client.send(
  new QueryVectorsCommand({
${args}
  }),
);
console.log(JSON.stringify(response.vectors, null, 2));
`;
}
