import fc from "fast-check";
import { createHandler } from "../../src/adapters/http-handler";
import { httpEvent } from "../support/events";
import { InMemoryUserReader, RecordingPublisher } from "../support/fakes";

const CLIENT_STATUSES = [202, 400, 413, 415];

/** Bodies near the contract: objects with the right keys and arbitrary values, plus arbitrary JSON and text. */
const body = fc.oneof(
  fc
    .record(
      {
        name: fc.oneof(fc.string({ unit: "grapheme" }), fc.string({ unit: "binary" }), fc.jsonValue()),
        email: fc.oneof(fc.emailAddress(), fc.string(), fc.jsonValue()),
      },
      { requiredKeys: [] },
    )
    .map((o) => JSON.stringify(o)),
  fc.jsonValue().map((v) => JSON.stringify(v) ?? "null"),
  fc
    .dictionary(fc.string(), fc.jsonValue())
    .map((o) => JSON.stringify({ name: "Ada", email: "ada@example.com", ...o })),
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString("latin1")),
);

const contentType = fc.oneof(
  fc.constant("application/json"),
  fc.constant("application/json; charset=utf-8"),
  fc.constant("APPLICATION/JSON"),
  fc.string(),
);

describe("properties (fake ports)", () => {
  it("no POST /users body or content type yields a 500, and only a 202 publishes", async () => {
    const repository = new InMemoryUserReader();
    const publisher = new RecordingPublisher();
    const handler = createHandler({ repository, publisher });
    await fc.assert(
      fc.asyncProperty(body, contentType, fc.boolean(), async (raw, type, base64) => {
        const before = publisher.published.length;
        const res = await handler(
          httpEvent({
            method: "POST",
            path: "/users",
            headers: { "content-type": type },
            body: base64 ? Buffer.from(raw, "utf8").toString("base64") : raw,
            isBase64Encoded: base64,
          }),
        );
        expect(CLIENT_STATUSES).toContain(res.statusCode);
        expect(publisher.published.length - before).toBe(res.statusCode === 202 ? 1 : 0);
        if (res.statusCode !== 202) expect(JSON.parse(res.body).error.code).toEqual(expect.any(String));
      }),
      { numRuns: 500 },
    );
  });

  it("an accepted name is 1..200 code points with no control characters and no edge whitespace", async () => {
    const publisher = new RecordingPublisher();
    const handler = createHandler({ repository: new InMemoryUserReader(), publisher });
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "binary", maxLength: 220 }), async (name) => {
        const res = await handler(
          httpEvent({
            method: "POST",
            path: "/users",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ name, email: "a@example.com" }),
          }),
        );
        expect([202, 400]).toContain(res.statusCode);
        if (res.statusCode === 202) {
          const last = publisher.published.at(-1);
          const published = last && "name" in last ? last.name : "";
          expect([...published].length).toBeGreaterThanOrEqual(1);
          expect([...published].length).toBeLessThanOrEqual(200);
          expect(published).toBe(published.trim());
          expect(published).not.toMatch(/[\p{Cc}\p{Cs}]/u);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("no GET query string or path yields a 500", async () => {
    const repository = new InMemoryUserReader();
    repository.seed(30);
    const handler = createHandler({ repository, publisher: new RecordingPublisher() });
    const query = fc.dictionary(
      fc.oneof(fc.constantFrom("limit", "cursor"), fc.string()),
      fc.oneof(
        fc.integer({ min: -5, max: 200 }).map(String),
        fc.string({ unit: "binary" }),
        fc.base64String(),
      ),
    );
    const path = fc.oneof(
      fc.constantFrom("/users", "/users/", "/health"),
      fc.string({ unit: "binary" }).map((id) => `/users/${encodeURIComponent(id)}`),
      fc.webPath(),
    );
    const method = fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS");
    await fc.assert(
      fc.asyncProperty(method, path, query, async (m, p, q) => {
        const event = httpEvent({ method: m, path: p, queryStringParameters: q, headers: {}, body: "" });
        const res = await handler(event);
        expect(res.statusCode).toBeLessThan(500);
        expect(JSON.parse(res.body)).toBeDefined();
      }),
      { numRuns: 500 },
    );
  });
});
