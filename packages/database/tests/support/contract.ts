/**
 * The contract every database adapter passes: run by pg.test.ts (PostgreSQL server), pglite.test.ts (PGlite)
 * and data-api.test.ts (data-api-local over the PostgreSQL server).
 */

import { ValidationError } from "@sml/contracts/errors";
import type { UserWrite } from "@sml/contracts/users";
import fc from "fast-check";
import {
  createSqlUserRepository,
  encodeCursor,
  loadMigrations,
  type Migration,
  MigrationError,
  runMigrations,
  type SqlExecutor,
} from "../../src";

export interface ContractTarget {
  /** An executor on a fresh, empty database. */
  readonly sql: SqlExecutor;
  /** A second, independent executor on the same database (a concurrent migration run). */
  readonly secondSql: SqlExecutor;
}

let seq = 0;
const at = (iso: string) => new Date(iso);
function write(email: string, name: string, publishedAt: string, messageId?: string): UserWrite {
  seq += 1;
  return {
    email,
    name,
    publishedAt: at(publishedAt),
    messageId: messageId ?? `msg-${seq.toString().padStart(6, "0")}`,
  };
}

/** Counts statements, to prove a batch is one round trip. */
function counting(sql: SqlExecutor): { sql: SqlExecutor; count: () => number } {
  let n = 0;
  return {
    sql: {
      query: (text, params) => {
        n += 1;
        return sql.query(text, params);
      },
      transaction: (work) => sql.transaction(work),
    },
    count: () => n,
  };
}

export function userRepositoryContract(driver: string, target: () => ContractTarget): void {
  const repo = () => createSqlUserRepository(target().sql);

  describe(`migrations (${driver})`, () => {
    test("applies every migration once and report nothing pending on a second run", async () => {
      const all = loadMigrations();
      const first = await runMigrations(target().sql, all);
      expect(first.applied).toEqual(all.map((m) => m.version));
      const second = await runMigrations(target().sql, all);
      expect(second).toEqual({ applied: [], alreadyApplied: all.map((m) => m.version) });
    });

    test("serialises concurrent runs so each migration runs exactly once", async () => {
      const extra: Migration = {
        version: "9001",
        name: "contract_probe",
        checksum: "probe",
        statements: ["CREATE TABLE contract_probe (id int PRIMARY KEY)"],
      };
      const all = [...loadMigrations(), extra];
      const results = await Promise.all([
        runMigrations(target().sql, all),
        runMigrations(target().secondSql, all),
      ]);
      expect(results.flatMap((r) => r.applied)).toEqual(["9001"]);
      const rows = await target().sql.query<{ n: number }>(
        "SELECT CAST(count(*) AS int) AS n FROM schema_migrations WHERE version = '9001'",
      );
      expect(rows[0]?.n).toBe(1);
    });

    test("refuses a migration whose file changed after it was applied", async () => {
      const changed = loadMigrations().map((m) => ({ ...m, checksum: `${m.checksum}-edited` }));
      await expect(runMigrations(target().sql, changed)).rejects.toThrow(MigrationError);
      await expect(runMigrations(target().sql, changed)).rejects.toThrow(/changed after it was applied/);
    });

    test("rolls back the whole run when a migration fails", async () => {
      const broken: Migration[] = [
        { version: "9100", name: "ok_part", checksum: "a", statements: ["CREATE TABLE half_done (id int)"] },
        {
          version: "9101",
          name: "broken",
          checksum: "b",
          statements: ["CREATE TABLE nope (id no_such_type)"],
        },
      ];
      await expect(runMigrations(target().sql, [...loadMigrations(), ...broken])).rejects.toThrow(
        /9101_broken failed/,
      );
      const rows = await target().sql.query<{ n: number }>(
        "SELECT CAST(count(*) AS int) AS n FROM information_schema.tables WHERE table_name = 'half_done'",
      );
      expect(rows[0]?.n).toBe(0);
    });
  });

  describe(`UserRepository (${driver})`, () => {
    // Idempotent: the migration tests above have usually applied them already.
    beforeAll(async () => {
      await runMigrations(target().sql);
    });

    beforeEach(async () => {
      await target().sql.query("TRUNCATE users");
    });

    test("stores a new user and return it by id and in the list", async () => {
      await repo().upsert([write("ada@example.com", "Ada Lovelace", "2026-01-01T10:00:00.000Z")]);
      const page = await repo().list({ limit: 20 });
      expect(page.nextCursor).toBeNull();
      expect(page.items).toHaveLength(1);
      const [user] = page.items;
      expect(user).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name: "Ada Lovelace",
        email: "ada@example.com",
        createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
        updatedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      });
      expect(await repo().get(user?.id ?? "")).toEqual(user);
    });

    test("treats emails case-insensitively and let the newer message set name and spelling", async () => {
      await repo().upsert([write("Grace@Example.com", "Grace", "2026-01-01T10:00:00.000Z")]);
      await repo().upsert([write("grace@example.COM", "Grace Hopper", "2026-01-01T10:00:01.000Z")]);
      const { items } = await repo().list({ limit: 20 });
      expect(items.map((u) => [u.name, u.email])).toEqual([["Grace Hopper", "grace@example.COM"]]);
    });

    test("ignores a message older than the one already applied", async () => {
      await repo().upsert([write("alan@example.com", "Alan Turing", "2026-01-01T10:00:05.000Z")]);
      await repo().upsert([write("alan@example.com", "Alan (old)", "2026-01-01T10:00:01.000Z")]);
      const { items } = await repo().list({ limit: 20 });
      expect(items.map((u) => u.name)).toEqual(["Alan Turing"]);
    });

    test("changes nothing, not even updatedAt, when a message is redelivered", async () => {
      const message = write("linus@example.com", "Linus", "2026-01-01T10:00:00.000Z");
      await repo().upsert([message]);
      const before = (await repo().list({ limit: 20 })).items;
      await new Promise((resolve) => setTimeout(resolve, 5));
      await repo().upsert([message]);
      await repo().upsert([{ ...message }, { ...message }]);
      expect((await repo().list({ limit: 20 })).items).toEqual(before);
    });

    test("keeps the newest message per email when one batch holds several, in any order", async () => {
      await repo().upsert([
        write("dup@example.com", "second", "2026-01-01T10:00:02.000Z"),
        write("DUP@example.com", "third", "2026-01-01T10:00:03.000Z"),
        write("dup@example.com", "first", "2026-01-01T10:00:01.000Z"),
        write("other@example.com", "other", "2026-01-01T10:00:01.000Z"),
      ]);
      const { items } = await repo().list({ limit: 20 });
      expect(items.map((u) => [u.email, u.name]).sort()).toEqual([
        ["DUP@example.com", "third"],
        ["other@example.com", "other"],
      ]);
    });

    test("orders messages with the same publish time by message id, the same way every time", async () => {
      const a = write("tie@example.com", "from a", "2026-01-01T10:00:00.000Z", "aaaa");
      const b = write("tie@example.com", "from b", "2026-01-01T10:00:00.000Z", "bbbb");
      await repo().upsert([b]);
      await repo().upsert([a]);
      expect((await repo().list({ limit: 5 })).items.map((u) => u.name)).toEqual(["from b"]);
    });

    test("orders writes of one millisecond by their microsecond acceptance time, not by message id (issue 16)", async () => {
      const same = "2026-01-01T11:00:00.000Z";
      // The later acceptance has the smaller message id: ordering by id would keep "first".
      const first = {
        ...write("micro@example.com", "first", same, "zzzz"),
        acceptedAt: "2026-01-01T11:00:00.000001Z",
      };
      const second = {
        ...write("micro@example.com", "second", same, "aaaa"),
        acceptedAt: "2026-01-01T11:00:00.000002Z",
      };
      await repo().upsert([second]);
      await repo().upsert([first]);
      await repo().upsert([first, second]);
      expect((await repo().list({ limit: 5 })).items.map((u) => u.name)).toEqual(["second"]);
    });

    test("writes a batch of 250 users with one statement", async () => {
      const counted = counting(target().sql);
      const batch = Array.from({ length: 250 }, (_, i) =>
        write(`user${i}@example.com`, `User ${i}`, "2026-01-02T00:00:00.000Z"),
      );
      await createSqlUserRepository(counted.sql).upsert(batch);
      expect(counted.count()).toBe(1);
      const rows = await target().sql.query<{ n: number }>("SELECT CAST(count(*) AS int) AS n FROM users");
      expect(rows[0]?.n).toBe(250);
    });

    test("applies concurrent batches that overlap in opposite orders without deadlocking", async () => {
      const emails = Array.from({ length: 200 }, (_, i) => `race${i}@example.com`);
      for (let attempt = 0; attempt < 5; attempt++) {
        const at = `2026-01-03T00:00:0${attempt}.000Z`;
        const forward = emails.map((e) => write(e, `forward ${attempt}`, at));
        const backward = [...emails].reverse().map((e) => write(e.toUpperCase(), `backward ${attempt}`, at));
        await Promise.all([
          createSqlUserRepository(target().sql).upsert(forward),
          createSqlUserRepository(target().secondSql).upsert(backward),
        ]);
      }
      const rows = await target().sql.query<{ n: number }>("SELECT CAST(count(*) AS int) AS n FROM users");
      expect(rows[0]?.n).toBe(200);
    });

    test("stores names and emails verbatim, SQL metacharacters and unicode included", async () => {
      const names = [
        "Robert'); DROP TABLE users;--",
        '"; SELECT pg_sleep(10); --',
        "Zoë Ōkubo-Łukasz",
        "名前 テスト",
        "👩‍💻 emoji ✓",
        "e\u0301 combining",
        "back\\slash $1 :p1",
      ];
      await repo().upsert(
        names.map((name, i) => write(`meta${i}@example.com`, name, "2026-01-01T00:00:00.000Z")),
      );
      const stored = (await repo().list({ limit: 100 })).items.map((u) => u.name).sort();
      expect(stored).toEqual([...names].sort());
    });

    test("pages through every user once, in a stable order, with opaque cursors", async () => {
      await repo().upsert(
        Array.from({ length: 45 }, (_, i) =>
          write(`page${i}@example.com`, `P${i}`, "2026-01-01T00:00:00.000Z"),
        ),
      );
      const seen: string[] = [];
      const sizes: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await repo().list({ limit: 20, ...(cursor ? { cursor } : {}) });
        sizes.push(page.items.length);
        seen.push(...page.items.map((u) => u.id));
        cursor = page.nextCursor ?? undefined;
        if (cursor) expect(cursor).not.toMatch(/[{}":]/);
      } while (cursor);
      expect(sizes).toEqual([20, 20, 5]);
      expect(new Set(seen).size).toBe(45);
    });

    test("shows users created while paging on a later page, never twice", async () => {
      await repo().upsert(
        Array.from({ length: 3 }, (_, i) =>
          write(`early${i}@example.com`, `E${i}`, "2026-01-01T00:00:00.000Z"),
        ),
      );
      const first = await repo().list({ limit: 2 });
      await repo().upsert([write("late@example.com", "Late", "2026-01-01T00:00:01.000Z")]);
      const second = await repo().list({ limit: 2, cursor: first.nextCursor ?? "" });
      const all = [...first.items, ...second.items].map((u) => u.email);
      expect(all).toHaveLength(4);
      expect(new Set(all).size).toBe(4);
      expect(all.at(-1)).toBe("late@example.com");
      expect(second.nextCursor).toBeNull();
    });

    test("returns a null cursor when the page is exactly the last one", async () => {
      await repo().upsert([
        write("x1@example.com", "X1", "2026-01-01T00:00:00.000Z"),
        write("x2@example.com", "X2", "2026-01-01T00:00:00.000Z"),
      ]);
      expect((await repo().list({ limit: 2 })).nextCursor).toBeNull();
    });

    test.each([
      ["garbage", "not-a-cursor!!"],
      ["base64 of plain text", Buffer.from("hello").toString("base64url")],
      ["base64 of the wrong JSON shape", Buffer.from(JSON.stringify({ a: 1 })).toString("base64url")],
      [
        "a cursor with a malformed id",
        encodeCursor({ createdAt: "2026-01-01T00:00:00.000000Z", id: "1; DROP" }),
      ],
      [
        "a cursor with a malformed time",
        encodeCursor({ createdAt: "yesterday", id: "00000000-0000-0000-0000-000000000000" }),
      ],
      ["SQL in the cursor", "'; DROP TABLE users; --"],
      // Well-formed but not a real instant: JavaScript's Date rolls them over, PostgreSQL rejects them.
      [
        "a cursor with February 30",
        encodeCursor({
          createdAt: "2026-02-30T10:00:00.000000Z",
          id: "00000000-0000-0000-0000-000000000000",
        }),
      ],
      [
        "a cursor in year 0000",
        encodeCursor({
          createdAt: "0000-01-01T00:00:00.000000Z",
          id: "00000000-0000-0000-0000-000000000000",
        }),
      ],
      [
        "a cursor at hour 24",
        encodeCursor({
          createdAt: "2026-01-01T24:00:00.000000Z",
          id: "00000000-0000-0000-0000-000000000000",
        }),
      ],
    ])("rejects %s as a cursor with a ValidationError naming cursor", async (_label, cursor) => {
      const attempt = repo().list({ limit: 5, cursor });
      await expect(attempt).rejects.toBeInstanceOf(ValidationError);
      await expect(attempt).rejects.toMatchObject({ details: [{ field: "cursor" }] });
    });

    test("answers every cursor of the issued shape with a page or a ValidationError, never a database error", async () => {
      const pad = (n: number, width: number) => String(n).padStart(width, "0");
      // Digits in and just past each field's range, so impossible dates (Feb 30, month 13, hour 24) come up.
      const time = fc
        .tuple(
          fc.integer({ min: 0, max: 9999 }),
          fc.integer({ min: 0, max: 13 }),
          fc.integer({ min: 0, max: 32 }),
          fc.integer({ min: 0, max: 25 }),
          fc.integer({ min: 0, max: 60 }),
          fc.integer({ min: 0, max: 61 }),
          fc.integer({ min: 0, max: 999_999 }),
        )
        .map(
          ([y, mo, d, h, mi, s, us]) =>
            `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.${pad(us, 6)}Z`,
        );
      await fc.assert(
        fc.asyncProperty(time, fc.uuid(), async (createdAt, id) => {
          const outcome = await repo()
            .list({ limit: 1, cursor: encodeCursor({ createdAt, id }) })
            .then(
              () => "page",
              (err: unknown) => (err instanceof ValidationError ? "rejected" : err),
            );
          expect(["page", "rejected"]).toContain(outcome);
        }),
        { numRuns: 150 },
      );
      // 150 round trips through data-api-local: jest's 5 s default is too short on a loaded machine.
    }, 60_000);

    test("returns undefined for an unknown or malformed id", async () => {
      expect(await repo().get("00000000-0000-4000-8000-000000000000")).toBeUndefined();
      expect(await repo().get("not-a-uuid")).toBeUndefined();
      expect(await repo().get("' OR 1=1 --")).toBeUndefined();
    });

    test("answers a ping", async () => {
      await expect(repo().ping()).resolves.toBeUndefined();
    });

    describe("deletions: tombstones, newest wins (DELETE /users/{id}, issue 24 item 2)", () => {
      const deletion = (id: string, publishedAt: string, messageId?: string) => {
        seq += 1;
        return {
          id,
          publishedAt: at(publishedAt),
          messageId: messageId ?? `msg-${seq.toString().padStart(6, "0")}`,
        };
      };
      const stored = async (email: string) => {
        const rows = await target().sql.query<{ id: string; deleted: boolean }>(
          "SELECT CAST(id AS text) AS id, deleted_at IS NOT NULL AS deleted FROM users WHERE lower(email) = lower($1)",
          [email],
        );
        return rows[0];
      };

      test("a deleted user is gone from get and list, and a late older create does not bring it back", async () => {
        await repo().upsert([write("del@example.com", "To Delete", "2026-02-01T10:00:00.000Z")]);
        const id = (await stored("del@example.com"))?.id as string;
        await repo().remove([deletion(id, "2026-02-01T10:05:00.000Z")]);
        expect(await repo().get(id)).toBeUndefined();
        expect((await repo().list({ limit: 20 })).items).toEqual([]);
        // A create accepted before the deletion, delivered after it (a late or redelivered message).
        await repo().upsert([write("del@example.com", "Late Create", "2026-02-01T10:04:59.000Z")]);
        expect(await repo().get(id)).toBeUndefined();
        expect(await stored("del@example.com")).toEqual({ id, deleted: true });
      });

      test("a create newer than the deletion brings the user back under its id; an older deletion changes nothing", async () => {
        await repo().upsert([write("back@example.com", "Before", "2026-02-02T10:00:00.000Z")]);
        const id = (await stored("back@example.com"))?.id as string;
        await repo().remove([deletion(id, "2026-02-02T10:05:00.000Z")]);
        await repo().upsert([write("back@example.com", "After", "2026-02-02T10:06:00.000Z")]);
        expect((await repo().get(id))?.name).toBe("After");
        // A deletion accepted before the latest write, arriving late: the user stays.
        await repo().remove([deletion(id, "2026-02-02T10:05:30.000Z")]);
        expect((await repo().get(id))?.name).toBe("After");
      });

      test("keeps the id the API issued for a new user, and an existing user's id for a later write", async () => {
        const issued = "5c3f1e2a-7b4d-4e6f-8a9b-0c1d2e3f4a5b";
        await repo().upsert([{ ...write("new@example.com", "New", "2026-02-03T10:00:00.000Z"), id: issued }]);
        expect((await repo().get(issued))?.email).toBe("new@example.com");
        await repo().upsert([
          {
            ...write("new@example.com", "Renamed", "2026-02-03T10:01:00.000Z"),
            id: "6d4a2f3b-8c5e-4f70-9bac-1d2e3f4a5b6c",
          },
        ]);
        expect((await repo().get(issued))?.name).toBe("Renamed");
      });

      test("ignores an unknown id and applies a batch in one statement", async () => {
        const counted = counting(target().sql);
        await createSqlUserRepository(counted.sql).remove([
          deletion("00000000-0000-4000-8000-000000000000", "2026-02-04T10:00:00.000Z"),
          deletion("00000000-0000-4000-8000-000000000001", "2026-02-04T10:00:00.000Z"),
        ]);
        expect(counted.count()).toBe(1);
        await createSqlUserRepository(counted.sql).remove([]);
        expect(counted.count()).toBe(1);
      });
    });

    test("does nothing for an empty batch", async () => {
      const counted = counting(target().sql);
      await createSqlUserRepository(counted.sql).upsert([]);
      expect(counted.count()).toBe(0);
    });
  });
}
