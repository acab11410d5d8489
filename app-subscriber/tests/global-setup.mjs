// Starts one in-process fauxqs (SNS/SQS emulator; ESM-only, hence this .mjs) for the app-subscriber run. The
// AWS SDK clients in the tests find it through AWS_ENDPOINT_URL; each test makes its own topic and queues.
import { startFauxqs } from "fauxqs";

export default async function globalSetup() {
  const server = await startFauxqs({ port: 0, logger: false });
  globalThis.__SUBSCRIBER_FAUXQS__ = server;
  process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${server.port}`;
}
