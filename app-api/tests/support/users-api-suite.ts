import { randomUUID } from "node:crypto";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { User, UserWrite } from "@sml/contracts/users";
import { type Database, runMigrations } from "@sml/database";
import { createHandler, type HttpHandler } from "../../src/adapters/http-handler";
import { SnsUserPublisher } from "../../src/adapters/sns-user-publisher";
import { BAD_REQUESTS } from "./bad-requests";
import { httpEvent, postUser } from "./events";
import { createTopicWithQueue, drainQueue } from "./fauxqs";

export interface SuiteDatabase {
  readonly database: Database;
  /** Closes the database and removes whatever the suite created. */
  dispose(): Promise<void>;
}

const SEEDED = 45;

/**
 * The API over a real database adapter and the real SNS client (fauxqs): the same assertions for every
 * database the adapters support. Users are seeded through the repository's upsert, the subscriber's path.
 */
export function describeUsersApi(label: string, open: () => Promise<SuiteDatabase>): void {
  describe(`users API over ${label} and SNS (fauxqs)`, () => {
    let suite: SuiteDatabase;
    let handler: HttpHandler;
    let sqs: SQSClient;
    let queueUrl: string;

    const get = async (path: string) => {
      const res = await handler(httpEvent({ method: "GET", path }));
      return { status: res.statusCode, body: JSON.parse(res.body) };
    };
    const countRows = async () =>
      Number(
        (await suite.database.sql.query<{ n: string }>("SELECT CAST(count(*) AS text) AS n FROM users"))[0]
          ?.n,
      );

    beforeAll(async () => {
      suite = await open();
      await runMigrations(suite.database.sql);
      const topic = await createTopicWithQueue();
      ({ sqs, queueUrl } = topic);
      handler = createHandler({
        repository: suite.database.users,
        publisher: new SnsUserPublisher({ topicArn: topic.topicArn }),
      });
      const base = Date.UTC(2026, 10, 1);
      const writes: UserWrite[] = Array.from({ length: SEEDED }, (_, i) => ({
        messageId: randomUUID(),
        publishedAt: new Date(base + i * 1000),
        name: `User ${i}`,
        email: `user${i}@example.com`,
      }));
      await suite.database.users.upsert(writes);
    }, 60_000);

    afterAll(async () => {
      await suite?.dispose();
    });

    afterEach(async () => {
      await drainQueue(sqs, queueUrl);
    });

    it("pages through every user with limit and cursor, ending with a null cursor", async () => {
      const seen: User[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await get(`/users?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
        expect(page.status).toBe(200);
        seen.push(...page.body.items);
        cursor = page.body.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      expect(new Set(seen.map((u) => u.email)).size).toBe(SEEDED);
      expect(seen[0]).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name: expect.any(String),
        email: expect.stringMatching(/@example\.com$/),
        createdAt: expect.stringMatching(/Z$/),
        updatedAt: expect.stringMatching(/Z$/),
      });
    });

    it("answers 20 users by default and 100 at most", async () => {
      expect((await get("/users")).body.items).toHaveLength(20);
      const all = await get("/users?limit=100");
      expect(all.body.items).toHaveLength(SEEDED);
      expect(all.body.nextCursor).toBeNull();
    });

    it("answers a user by id, and 404 for an unknown or malformed id", async () => {
      const [first] = (await get("/users?limit=1")).body.items as User[];
      expect(await get(`/users/${first?.id}`)).toEqual({ status: 200, body: first });
      expect((await get(`/users/${randomUUID()}`)).status).toBe(404);
      expect((await get("/users/not-a-uuid")).status).toBe(404);
      expect((await get(`/users/${first?.id.toUpperCase()}`)).status).toBe(200);
    });

    it("answers 400 naming cursor for a tampered cursor", async () => {
      const { body } = await get("/users?limit=1");
      const tampered = `${body.nextCursor.slice(0, -2)}xx`;
      const res = await get(`/users?cursor=${encodeURIComponent(tampered)}`);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain("cursor");
      const forged = Buffer.from(JSON.stringify(["2026-01-01T00:00:00.000000Z", "x' OR '1'='1"])).toString(
        "base64url",
      );
      expect((await get(`/users?cursor=${forged}`)).status).toBe(400);
    });

    it("answers GET /health 200 while the database answers", async () => {
      expect(await get("/health")).toEqual({ status: 200, body: { status: "ok" } });
    });

    it("accepts a POST with 202, publishes exactly one message and writes no row", async () => {
      const before = await countRows();
      const res = await handler(postUser({ name: "Grace Hopper", email: "grace@example.com" }));
      expect(res.statusCode).toBe(202);
      const { acceptedAt, id } = JSON.parse(res.body);
      expect(await drainQueue(sqs, queueUrl)).toEqual([
        JSON.stringify({ name: "Grace Hopper", email: "grace@example.com", acceptedAt, id }),
      ]);
      expect(await countRows()).toBe(before);
    });

    it("publishes nothing and writes nothing for any malformed request", async () => {
      const before = await countRows();
      for (const bad of BAD_REQUESTS) {
        const res = await handler(httpEvent(bad.request));
        expect({ title: bad.title, status: res.statusCode }).toEqual({
          title: bad.title,
          status: bad.status,
        });
      }
      expect(await drainQueue(sqs, queueUrl)).toEqual([]);
      expect(await countRows()).toBe(before);
    });
  });
}
