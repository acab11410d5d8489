import { createDatabase } from "@sml/common/db";
import { createScratchDatabase } from "@sml/common/db/testing";
import { createHandler } from "../../src/create-handler";
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

describe("GET /health over an unreachable PostgreSQL", () => {
  it("answers 503 SERVICE_UNAVAILABLE", async () => {
    // Port 9 (discard) has no PostgreSQL: the connection is refused.
    const database = createDatabase({ driver: "pg", databaseUrl: "postgres://postgres@127.0.0.1:9/none" });
    const handler = createHandler({ repository: database.users, publisher: new RecordingPublisher() });
    try {
      const res = await handler(httpEvent({ method: "GET", path: "/health" }));
      expect(res.statusCode).toBe(503);
      expect(JSON.parse(res.body).error.code).toBe("SERVICE_UNAVAILABLE");
    } finally {
      await database.close();
    }
  });
});
