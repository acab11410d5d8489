// fauxqs on a free loopback port for tests (ESM-only, so it runs as its own process); prints its endpoint.
import { buildApp } from "fauxqs";

const app = buildApp({ logger: false });
await app.listen({ port: 0, host: "127.0.0.1" });
const { port } = app.server.address();
process.stdout.write(`http://127.0.0.1:${port}\n`);
const stop = () => app.close().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
