import { createDatabase } from "@sml/database";
import { createScratchDatabase } from "@sml/database/testing";
import { createHandler } from "../../src/adapters/http-handler";
import { httpEvent } from "../support/events";
import { RecordingPublisher } from "../support/fakes";
import { describeUsersApi } from "../support/users-api-suite";

// The real PostgreSQL server on 127.0.0.1:5432, in a database of this file's own.
describeUsersApi("PostgreSQL (pg)", async () => {
  const scratch = await createScratchDatabase("app_api");
  const database = createDatabase({ driver: "pg", databaseUrl: scratch.url });
  return {
    database,
    dispose: async () => {
      await database.close();
      await scratch.drop();
    },
  };
});

describe("reads over an unreachable PostgreSQL", () => {
  // Port 9 (discard) has no PostgreSQL: the connection is refused.
  it.each(["/health", "/users", "/users?limit=5", "/users/0198f3a2-7c1e-7000-8000-000000000000"])(
    "answers GET %s with 503 SERVICE_UNAVAILABLE, never 500",
    async (path) => {
      const database = createDatabase({ driver: "pg", databaseUrl: "postgres://postgres@127.0.0.1:9/none" });
      const handler = createHandler({ repository: database.users, publisher: new RecordingPublisher() });
      try {
        const res = await handler(httpEvent({ method: "GET", path }));
        expect(res.statusCode).toBe(503);
        expect(JSON.parse(res.body).error.code).toBe("SERVICE_UNAVAILABLE");
      } finally {
        await database.close();
      }
    },
  );
});
