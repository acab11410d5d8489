import { Metrics } from "@aws-lambda-powertools/metrics";
import { createHandler } from "../../src/adapters/http-handler";
import { httpEvent, postUser } from "../support/events";
import { InMemoryUserReader, RecordingPublisher } from "../support/fakes";

/** A Metrics instance that really emits (the test setup disables metrics globally to keep output clean). */
function emittingMetrics(): Metrics {
  const saved = process.env.POWERTOOLS_METRICS_DISABLED;
  delete process.env.POWERTOOLS_METRICS_DISABLED;
  try {
    return new Metrics({ namespace: "Test", serviceName: "users-api" });
  } finally {
    process.env.POWERTOOLS_METRICS_DISABLED = saved;
  }
}

async function emfOf(run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return lines.map((l) => JSON.parse(l)).filter((r) => r._aws);
}

describe("metrics (EMF)", () => {
  it("emits UsersAccepted for an accepted POST and ClientErrors for a rejected one", async () => {
    const handler = createHandler({
      repository: new InMemoryUserReader(),
      publisher: new RecordingPublisher(),
      metrics: emittingMetrics(),
    });
    const records = await emfOf(async () => {
      await handler(postUser({ name: "Ada", email: "ada@example.com" }));
      await handler(postUser({ name: "", email: "ada@example.com" }));
    });
    expect(records).toContainEqual(expect.objectContaining({ UsersAccepted: 1 }));
    expect(records).toContainEqual(expect.objectContaining({ ClientErrors: 1 }));
  });

  it("emits ServerErrors when the health check fails", async () => {
    const repository = new InMemoryUserReader();
    repository.pingError = new Error("down");
    const handler = createHandler({
      repository,
      publisher: new RecordingPublisher(),
      metrics: emittingMetrics(),
    });
    const records = await emfOf(() => handler(httpEvent({ method: "GET", path: "/health" })));
    expect(records).toContainEqual(expect.objectContaining({ ServerErrors: 1 }));
  });
});
