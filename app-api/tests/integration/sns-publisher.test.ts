import type { SQSClient } from "@aws-sdk/client-sqs";
import { createHandler, type HttpHandler } from "../../src/adapters/http-handler";
import { SnsUserPublisher } from "../../src/adapters/sns-user-publisher";
import { BAD_REQUESTS } from "../support/bad-requests";
import { httpEvent, postUser } from "../support/events";
import { InMemoryUserReader } from "../support/fakes";
import { createTopicWithQueue, drainQueue } from "../support/fauxqs";

// Real @aws-sdk/client-sns against fauxqs, with an SQS queue subscribed to observe what was published.
describe("POST /users through SNS (fauxqs)", () => {
  let sqs: SQSClient;
  let queueUrl: string;
  let topicArn: string;
  let handler: HttpHandler;

  beforeAll(async () => {
    ({ sqs, queueUrl, topicArn } = await createTopicWithQueue());
    handler = createHandler({
      repository: new InMemoryUserReader(),
      publisher: new SnsUserPublisher({ topicArn }),
    });
  });

  afterEach(async () => {
    await drainQueue(sqs, queueUrl);
  });

  it("publishes exactly one message whose body is the {name,email,acceptedAt} JSON and answers its message id", async () => {
    const res = await handler(postUser({ name: " Ada Lovelace ", email: "Ada@Example.com" }));
    expect(res.statusCode).toBe(202);
    const { messageId, acceptedAt, id } = JSON.parse(res.body);
    expect(messageId).toEqual(expect.any(String));
    const bodies = await drainQueue(sqs, queueUrl);
    expect(bodies).toEqual([
      JSON.stringify({ name: "Ada Lovelace", email: "Ada@Example.com", acceptedAt, id }),
    ]);
  });

  it("publishes nothing for any malformed request (a good request after them is the only message)", async () => {
    for (const bad of BAD_REQUESTS) {
      const res = await handler(httpEvent(bad.request));
      expect(res.statusCode).toBe(bad.status);
    }
    const sentinel = await handler(postUser({ name: "Sentinel", email: "sentinel@example.com" }));
    const { acceptedAt, id } = JSON.parse(sentinel.body);
    const bodies = await drainQueue(sqs, queueUrl);
    expect(bodies).toEqual([
      JSON.stringify({ name: "Sentinel", email: "sentinel@example.com", acceptedAt, id }),
    ]);
  });

  it("answers 503 and publishes nothing when the topic does not exist", async () => {
    const missing = createHandler({
      repository: new InMemoryUserReader(),
      publisher: new SnsUserPublisher({ topicArn: `${topicArn}-missing` }),
    });
    const res = await missing(postUser({ name: "Ada", email: "ada@example.com" }));
    expect(res.statusCode).toBe(503);
    expect(JSON.parse(res.body).error.code).toBe("SERVICE_UNAVAILABLE");
    expect(await drainQueue(sqs, queueUrl)).toEqual([]);
  });
});
