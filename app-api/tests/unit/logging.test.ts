import { Logger } from "@aws-lambda-powertools/logger";
import type { Context } from "aws-lambda";
import { createHandler } from "../../src/adapters/http-handler";
import { httpEvent, postUser } from "../support/events";
import { InMemoryUserReader, RecordingPublisher } from "../support/fakes";

const context = {
  awsRequestId: "lambda-req-1",
  functionName: "users-api",
  functionVersion: "$LATEST",
  invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:users-api",
  memoryLimitInMB: "256",
} as Context;

function capture() {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  return { lines, restore: () => spy.mockRestore() };
}

describe("logging", () => {
  it("writes one JSON request line with the API and Lambda request ids and the status", async () => {
    const handler = createHandler({
      repository: new InMemoryUserReader(),
      publisher: new RecordingPublisher(),
      logger: new Logger({ serviceName: "users-api", logLevel: "INFO" }),
    });
    const event = httpEvent({ method: "GET", path: "/health" });
    const out = capture();
    try {
      await handler(event, context);
    } finally {
      out.restore();
    }
    const records = out.lines.map((l) => JSON.parse(l));
    expect(records).toContainEqual(
      expect.objectContaining({
        message: "request",
        apiRequestId: event.requestContext.requestId,
        function_request_id: "lambda-req-1",
        statusCode: 200,
        path: "/health",
      }),
    );
  });

  it("never writes the submitted email or name to the logs", async () => {
    const handler = createHandler({
      repository: new InMemoryUserReader(),
      publisher: new RecordingPublisher(),
      logger: new Logger({ serviceName: "users-api", logLevel: "DEBUG" }),
    });
    const out = capture();
    try {
      await handler(postUser({ name: "Secret Name", email: "secret@example.com" }), context);
      await handler(postUser({ name: "Secret Name", email: "not-an-email" }), context);
    } finally {
      out.restore();
    }
    const text = out.lines.join("");
    expect(text).toContain("user accepted");
    expect(text).not.toMatch(/secret@example\.com|Secret Name|not-an-email/);
  });
});
