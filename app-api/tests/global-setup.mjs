// Starts one in-process fauxqs (SNS/SQS emulator) for the whole app-api run; each test file makes its own
// topic and queue, so files never see each other's messages.
import { startFauxqs } from "fauxqs";

export default async function globalSetup() {
  const server = await startFauxqs({ port: 0, logger: false });
  globalThis.__FAUXQS_APP_API__ = server;
  process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${server.port}`;
}
