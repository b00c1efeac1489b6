// Smoke test of the emulator with the AWS SDK for JavaScript v3.
// Usage: node smoke.mjs <endpoint-url>. Prints OK and exits 0; any failure exits non-zero with a message.
import {
  CreateIndexCommand,
  CreateVectorBucketCommand,
  GetIndexCommand,
  GetVectorBucketCommand,
  ListTagsForResourceCommand,
  ListVectorsCommand,
  PutVectorsCommand,
  QueryVectorsCommand,
  S3VectorsClient,
  TagResourceCommand,
  UntagResourceCommand,
} from "@aws-sdk/client-s3vectors";

const endpoint = process.argv[2];
if (!endpoint) {
  console.error("usage: node smoke.mjs <endpoint-url>");
  process.exit(2);
}

const client = new S3VectorsClient({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
  maxAttempts: 1,
});

function check(condition, message) {
  if (!condition) {
    throw new Error(`assertion failed: ${message}`);
  }
}

function equal(actual, expected, what) {
  check(
    JSON.stringify(actual) === JSON.stringify(expected),
    `${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`,
  );
}

function sortedEntries(record) {
  return Object.entries(record ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

async function expectError(command, name, status, message, what) {
  let caught;
  try {
    await client.send(command);
  } catch (err) {
    caught = err;
  }
  check(caught !== undefined, `${what}: expected ${name}, but the call succeeded`);
  equal(caught.name, name, `${what}: err.name`);
  equal(caught.$metadata?.httpStatusCode, status, `${what}: err.$metadata.httpStatusCode`);
  equal(caught.message, message, `${what}: err.message`);
  return caught;
}

async function main() {
  const bucket = `js-smoke-${Date.now()}`;
  const index = "docs";

  // Vector bucket.
  const created = await client.send(new CreateVectorBucketCommand({ vectorBucketName: bucket }));
  check(
    typeof created.vectorBucketArn === "string" && created.vectorBucketArn.endsWith(`:bucket/${bucket}`),
    `CreateVectorBucket vectorBucketArn: ${created.vectorBucketArn}`,
  );
  const bucketArn = created.vectorBucketArn;

  const got = await client.send(new GetVectorBucketCommand({ vectorBucketName: bucket }));
  equal(got.vectorBucket?.vectorBucketName, bucket, "GetVectorBucket vectorBucketName");
  equal(got.vectorBucket?.vectorBucketArn, bucketArn, "GetVectorBucket vectorBucketArn");
  const creationTime = got.vectorBucket?.creationTime;
  check(creationTime instanceof Date, `GetVectorBucket creationTime is not a Date: ${creationTime}`);
  check(!Number.isNaN(creationTime.getTime()), "GetVectorBucket creationTime is an invalid Date");
  const skew = Math.abs(Date.now() - creationTime.getTime());
  check(skew < 24 * 60 * 60 * 1000, `GetVectorBucket creationTime ${creationTime.toISOString()} is not within a day of now`);

  // Index.
  const createdIndex = await client.send(
    new CreateIndexCommand({
      vectorBucketName: bucket,
      indexName: index,
      dataType: "float32",
      dimension: 3,
      distanceMetric: "cosine",
    }),
  );
  check(
    typeof createdIndex.indexArn === "string" && createdIndex.indexArn.endsWith(`:bucket/${bucket}/index/${index}`),
    `CreateIndex indexArn: ${createdIndex.indexArn}`,
  );

  // Vectors.
  await client.send(
    new PutVectorsCommand({
      vectorBucketName: bucket,
      indexName: index,
      vectors: [
        { key: "a", data: { float32: [1, 0, 0] }, metadata: { genre: "news" } },
        { key: "b", data: { float32: [0, 1, 0] }, metadata: { genre: "sport" } },
      ],
    }),
  );

  const query = await client.send(
    new QueryVectorsCommand({
      vectorBucketName: bucket,
      indexName: index,
      queryVector: { float32: [1, 0, 0] },
      topK: 1,
      returnDistance: true,
    }),
  );
  check(Array.isArray(query.vectors) && query.vectors.length === 1, `QueryVectors vectors: ${JSON.stringify(query.vectors)}`);
  equal(query.vectors[0].key, "a", "QueryVectors key");
  check(
    typeof query.vectors[0].distance === "number" && Math.abs(query.vectors[0].distance) < 1e-6,
    `QueryVectors distance: ${query.vectors[0].distance}`,
  );

  const listed = await client.send(new ListVectorsCommand({ vectorBucketName: bucket, indexName: index }));
  equal((listed.vectors ?? []).map((v) => v.key).sort(), ["a", "b"], "ListVectors keys");

  // Errors.
  await expectError(
    new GetIndexCommand({ vectorBucketName: bucket, indexName: "missing" }),
    "NotFoundException",
    404,
    "The specified index could not be found",
    "GetIndex of a missing index",
  );
  await expectError(
    new CreateVectorBucketCommand({ vectorBucketName: "Bad_Name" }),
    "ValidationException",
    400,
    "Invalid vector bucket name",
    "CreateVectorBucket Bad_Name",
  );

  // Tags (the /tags/{arn} routes).
  await client.send(new TagResourceCommand({ resourceArn: bucketArn, tags: { team: "search", env: "test" } }));
  let tags = await client.send(new ListTagsForResourceCommand({ resourceArn: bucketArn }));
  equal(sortedEntries(tags.tags), [["env", "test"], ["team", "search"]], "ListTagsForResource after TagResource");
  await client.send(new UntagResourceCommand({ resourceArn: bucketArn, tagKeys: ["env"] }));
  tags = await client.send(new ListTagsForResourceCommand({ resourceArn: bucketArn }));
  equal(sortedEntries(tags.tags), [["team", "search"]], "ListTagsForResource after UntagResource");

  console.log("OK");
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`FAILED: ${err?.name ?? "Error"}: ${err?.message ?? err}`);
    if (err?.$metadata) {
      console.error(`$metadata: ${JSON.stringify(err.$metadata)}`);
    }
    if (err?.stack) {
      console.error(err.stack);
    }
    process.exit(1);
  },
);
