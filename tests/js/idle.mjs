// A pooled keep-alive connection of the AWS SDK for JavaScript v3 survives an idle pause.
// Usage: node idle.mjs <endpoint-url> <idle-seconds>. Prints OK and exits 0; any failure exits non-zero.
// Run by tests/test_server_limits.py. The SDK reuses the connection of its first call for a call made
// after the pause; a server that closed it meanwhile fails that call (EPIPE or ECONNRESET, no retry here).
import http from "node:http";

import { ListVectorBucketsCommand, S3VectorsClient } from "@aws-sdk/client-s3vectors";
import { NodeHttpHandler } from "@smithy/node-http-handler";

const [endpoint, idleSeconds] = process.argv.slice(2);
if (!endpoint || !idleSeconds) {
  console.error("usage: node idle.mjs <endpoint-url> <idle-seconds>");
  process.exit(2);
}

// The SDK's own handler with a counted agent: keep-alive as the SDK sets it up by default.
const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });
let connections = 0;
const createConnection = agent.createConnection.bind(agent);
agent.createConnection = (...args) => {
  connections += 1;
  return createConnection(...args);
};

const client = new S3VectorsClient({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
  maxAttempts: 1,
  requestHandler: new NodeHttpHandler({ httpAgent: agent }),
});

await client.send(new ListVectorBucketsCommand({}));
await new Promise((resolve) => setTimeout(resolve, Number(idleSeconds) * 1000));
const later = await client.send(new ListVectorBucketsCommand({}));
if (later.$metadata.httpStatusCode !== 200) {
  throw new Error(`the call after the pause answered ${later.$metadata.httpStatusCode}`);
}
if (connections !== 1) {
  throw new Error(`the call after the pause opened a new connection (${connections} in all)`);
}
console.log("OK");
agent.destroy();
