import type { UserWrite } from "@sml/contracts/users";
import { UserStoreUnavailableError } from "../../src/core/errors";
import { saveUsers } from "../../src/core/save-users";
import { fakeUsers } from "../support/fake-users";

const w = (email: string, name: string, at: string, messageId = `${email}-${at}`): UserWrite => ({
  email,
  name,
  messageId,
  publishedAt: new Date(at),
});

describe("saveUsers", () => {
  test("keeps the later acceptance of one millisecond, whatever the message ids (issue 16, finding 2)", async () => {
    const { users, calls } = fakeUsers();
    const at = "2026-01-01T00:00:00.000Z";
    await saveUsers(users, [
      { ...w("tie@example.com", "later", at, "aaaa"), acceptedAt: "2026-01-01T00:00:00.000002Z" },
      { ...w("tie@example.com", "earlier", at, "zzzz"), acceptedAt: "2026-01-01T00:00:00.000001Z" },
    ]);
    expect(calls[0]?.map((x) => x.name)).toEqual(["later"]);
  });

  test("stores the whole batch with one repository call", async () => {
    const { users, calls } = fakeUsers();
    const result = await saveUsers(users, [
      w("a@example.com", "A", "2026-01-01T00:00:00Z"),
      w("b@example.com", "B", "2026-01-01T00:00:00Z"),
    ]);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.map((x) => x.name)).toEqual(["A", "B"]);
    expect(result).toEqual({ written: 2, superseded: 0, deleted: 0 });
  });

  test("keeps only the newest message per email, ignoring case and delivery order", async () => {
    const { users, calls } = fakeUsers();
    const result = await saveUsers(users, [
      w("dup@example.com", "newest", "2026-01-01T00:00:03Z"),
      w("DUP@example.com", "oldest", "2026-01-01T00:00:01Z"),
      w("Dup@Example.com", "middle", "2026-01-01T00:00:02Z"),
    ]);
    expect(calls[0]?.map((x) => x.name)).toEqual(["newest"]);
    expect(result).toEqual({ written: 1, superseded: 2, deleted: 0 });
  });

  test("breaks a publish-time tie by the larger message id, as the store does", async () => {
    const { users, calls } = fakeUsers();
    await saveUsers(users, [
      w("t@example.com", "from b", "2026-01-01T00:00:00Z", "bbbb"),
      w("t@example.com", "from a", "2026-01-01T00:00:00Z", "aaaa"),
    ]);
    expect(calls[0]?.map((x) => x.name)).toEqual(["from b"]);
  });

  test("does not call the store for an empty batch", async () => {
    const { users, calls } = fakeUsers();
    expect(await saveUsers(users, [])).toEqual({ written: 0, superseded: 0, deleted: 0 });
    expect(calls).toHaveLength(0);
  });

  test("reports a store failure as UserStoreUnavailableError with the cause kept", async () => {
    const cause = new Error("connect ECONNREFUSED 127.0.0.1:5432");
    const { users } = fakeUsers({ failWith: cause });
    const attempt = saveUsers(users, [w("a@example.com", "A", "2026-01-01T00:00:00Z")]);
    await expect(attempt).rejects.toBeInstanceOf(UserStoreUnavailableError);
    await expect(attempt).rejects.toMatchObject({ cause });
  });

  test("applies the batch's deletions with one more repository call, after its writes (issue 24, item 2)", async () => {
    const { users, calls, removals } = fakeUsers();
    const deletion = {
      id: "5c3f1e2a-7b4d-4e6f-8a9b-0c1d2e3f4a5b",
      messageId: "del-1",
      publishedAt: new Date("2026-01-01T00:00:01Z"),
      acceptedAt: "2026-01-01T00:00:01.000000Z",
    };
    const result = await saveUsers(users, [w("a@example.com", "A", "2026-01-01T00:00:00Z")], [deletion]);
    expect(result).toEqual({ written: 1, superseded: 0, deleted: 1 });
    expect(calls).toHaveLength(1);
    expect(removals).toEqual([[deletion]]);
  });
});
