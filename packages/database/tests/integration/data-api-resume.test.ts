/**
 * Aurora Serverless v2 at 0 ACU answers DatabaseResumingException while it wakes up. data-api-local cannot
 * pause, so the RDS Data API client is MOCKED here (a stubbed `send`).
 */
import { ExecuteStatementCommand, RDSDataClient } from "@aws-sdk/client-rds-data";
import { createDataApiExecutor, dbConfigFromEnv } from "../../src";

const target = { resourceArn: "arn:cluster", secretArn: "arn:secret", database: "app" };
const resuming = () =>
  Object.assign(new Error("The database is resuming"), { name: "DatabaseResumingException" });

describe("Data API executor while the cluster resumes (Data API mocked)", () => {
  test("retries a statement until the paused cluster has resumed", async () => {
    const client = new RDSDataClient({ region: "us-east-1" });
    const send = jest
      .spyOn(client, "send")
      .mockImplementationOnce(async () => {
        throw resuming();
      })
      .mockImplementationOnce(async () => {
        throw resuming();
      })
      .mockImplementation(async () => ({
        columnMetadata: [{ name: "ok", label: "ok" }],
        records: [[{ longValue: 1 }]],
      }));
    const sql = createDataApiExecutor(target, { client, resumeDelayMs: 1 });
    await expect(sql.query("SELECT 1 AS ok")).resolves.toEqual([{ ok: 1 }]);
    expect(send).toHaveBeenCalledTimes(3);
    const [command] = send.mock.calls[2] ?? [];
    expect(command).toBeInstanceOf(ExecuteStatementCommand);
  });

  test("gives up after a bounded number of attempts and passes the error on", async () => {
    const client = new RDSDataClient({ region: "us-east-1" });
    const send = jest.spyOn(client, "send").mockImplementation(async () => {
      throw resuming();
    });
    const sql = createDataApiExecutor(target, { client, resumeDelayMs: 1 });
    await expect(sql.query("SELECT 1")).rejects.toMatchObject({ name: "DatabaseResumingException" });
    expect(send.mock.calls.length).toBeLessThanOrEqual(10);
  });

  // A cluster paused for more than a day takes about 30 s to resume (Aurora user guide, "Scaling to zero ACUs
  // with automatic pause and resume"): 6 tries 2.5 s apart (15 s) are not enough for the migration function.
  test("keeps retrying a resuming cluster until the deadline when one is set, then passes the error on", async () => {
    const client = new RDSDataClient({ region: "us-east-1" });
    const send = jest.spyOn(client, "send").mockImplementation(async () => {
      throw resuming();
    });
    const sql = createDataApiExecutor(target, { client, resumeDelayMs: 5, resumeDeadlineMs: 300 });
    const started = Date.now();
    await expect(sql.query("SELECT 1")).rejects.toMatchObject({ name: "DatabaseResumingException" });
    expect(send.mock.calls.length).toBeGreaterThan(10); // beyond the 7 attempts without a deadline
    expect(Date.now() - started).toBeLessThan(300 + 200);
  });

  test("hands DB_CONNECT_DEADLINE_MS to the Data API driver as its resume deadline", () => {
    const config = dbConfigFromEnv({
      DB_DRIVER: "data-api",
      DB_CLUSTER_ARN: "arn:aws:rds:eu-west-1:123456789012:cluster:sml-dev-db",
      DB_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-x",
      DB_NAME: "app",
      DB_CONNECT_DEADLINE_MS: "90000",
    });
    expect(config).toMatchObject({ driver: "data-api", connectDeadlineMs: 90_000 });
  });

  test("sends positional parameters as named :pN parameters with their types", async () => {
    const client = new RDSDataClient({ region: "us-east-1" });
    const send = jest
      .spyOn(client, "send")
      .mockImplementation(async () => ({ columnMetadata: [], records: [] }));
    const sql = createDataApiExecutor(target, { client });
    await sql.query("SELECT $1, $2, $3, $10", ["a", 2, null, true, 5, 6, 7, 8, 9, 1.5]);
    expect(send).toHaveBeenCalledTimes(1);
    const [command] = send.mock.calls[0] ?? [];
    const input = (command as ExecuteStatementCommand).input;
    expect(input.sql).toBe("SELECT :p1, :p2, :p3, :p10");
    expect(input.parameters?.slice(0, 4)).toEqual([
      { name: "p1", value: { stringValue: "a" } },
      { name: "p2", value: { longValue: 2 } },
      { name: "p3", value: { isNull: true } },
      { name: "p4", value: { booleanValue: true } },
    ]);
    expect(input.parameters?.[9]).toEqual({ name: "p10", value: { doubleValue: 1.5 } });
  });
});
