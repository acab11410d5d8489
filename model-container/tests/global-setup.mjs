// One in-process fauxqs (S3 and SQS emulator) for the model-container run: the batch tests use the real AWS SDK
// clients against it through AWS_ENDPOINT_URL; each test file makes its own bucket and queue.
import { startFauxqs } from "fauxqs";

export default async function globalSetup() {
  const server = await startFauxqs({ port: 0, logger: false });
  // Global setups of every project share one globalThis: a key of its own, or another project's teardown stops
  // the wrong server and this one keeps jest alive.
  globalThis.__FAUXQS_MODEL_CONTAINER__ = server;
  process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${server.port}`;
  process.env.AWS_REGION ??= "us-east-1";
  process.env.AWS_ACCESS_KEY_ID ??= "local";
  process.env.AWS_SECRET_ACCESS_KEY ??= "local";
}
