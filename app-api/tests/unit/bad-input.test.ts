import { createHandler } from "../../src/adapters/http-handler";
import { BAD_REQUESTS } from "../support/bad-requests";
import { httpEvent } from "../support/events";
import { InMemoryUserReader, RecordingPublisher } from "../support/fakes";

describe("malformed requests (fake ports)", () => {
  const repository = new InMemoryUserReader();
  const publisher = new RecordingPublisher();
  const handler = createHandler({ repository, publisher });

  it("covers at least 30 cases", () => {
    expect(BAD_REQUESTS.length).toBeGreaterThanOrEqual(30);
  });

  it.each(BAD_REQUESTS.map((c) => [c.title, c] as const))(
    "answers %s with its status and code",
    async (_t, c) => {
      const res = await handler(httpEvent(c.request));
      const body = JSON.parse(res.body);
      expect({ status: res.statusCode, code: body.error?.code }).toEqual({ status: c.status, code: c.code });
      expect(typeof body.error.message).toBe("string");
      if (c.names) expect(body.error.message).toContain(c.names);
    },
  );

  it("published and wrote nothing for any of them", () => {
    expect(publisher.published).toEqual([]);
  });
});
