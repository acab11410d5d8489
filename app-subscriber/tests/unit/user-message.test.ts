import { MalformedMessageError } from "../../src/core/errors";
import { toUserChange, toUserWrite } from "../../src/core/user-message";

const base = { messageId: "m-1", publishedAt: new Date("2026-01-01T00:00:00.000Z") };

describe("toUserWrite", () => {
  it("carries the API's acceptance time, the ordering key, and rejects one PostgreSQL cannot store", () => {
    const body = (acceptedAt: string) =>
      JSON.stringify({ name: "Ada", email: "ada@example.com", acceptedAt });
    expect(toUserWrite({ ...base, body: body("2026-01-01T00:00:00.000123Z") }).acceptedAt).toBe(
      "2026-01-01T00:00:00.000123Z",
    );
    for (const bad of [
      "2026-02-30T00:00:00.000000Z",
      "0000-01-01T00:00:00.000000Z",
      "2026-01-01T00:00:00.000Z",
    ])
      expect(() => toUserWrite({ ...base, body: body(bad) })).toThrow(MalformedMessageError);
  });

  test("turns a published user message into a write carrying its id and publish time", () => {
    expect(toUserWrite({ ...base, body: JSON.stringify({ name: "Ada", email: "ada@example.com" }) })).toEqual(
      {
        messageId: "m-1",
        publishedAt: new Date("2026-01-01T00:00:00.000Z"),
        name: "Ada",
        email: "ada@example.com",
      },
    );
  });

  test("accepts a 200-character name of astral-plane emoji (400 UTF-16 units)", () => {
    const name = "😀".repeat(200);
    expect(toUserWrite({ ...base, body: JSON.stringify({ name, email: "e@example.com" }) }).name).toBe(name);
  });

  test.each([
    ["text that is not JSON", "{name:"],
    ["a JSON array", "[]"],
    ["a missing name", JSON.stringify({ email: "a@example.com" })],
    ["a missing email", JSON.stringify({ name: "A" })],
    ["a number as name", JSON.stringify({ name: 7, email: "a@example.com" })],
    ["an empty name", JSON.stringify({ name: "", email: "a@example.com" })],
    ["a 201-character name", JSON.stringify({ name: "x".repeat(201), email: "a@example.com" })],
    ["a NUL in the name", JSON.stringify({ name: "a\u0000b", email: "a@example.com" })],
    ["a lone surrogate in the name", JSON.stringify({ name: "a\uD800b", email: "a@example.com" })],
    ["an email without @", JSON.stringify({ name: "A", email: "nobody" })],
    ["an extra field", JSON.stringify({ name: "A", email: "a@example.com", admin: true })],
  ])("rejects %s as malformed", (_label, body) => {
    expect(() => toUserWrite({ ...base, body })).toThrow(MalformedMessageError);
  });

  test("names the offending field in the error", () => {
    expect(() =>
      toUserWrite({ ...base, body: JSON.stringify({ name: "", email: "a@example.com" }) }),
    ).toThrow(/name: must be 1\.\.200 characters/);
  });

  test("rejects a publish time that is not a date", () => {
    const body = JSON.stringify({ name: "A", email: "a@example.com" });
    expect(() => toUserWrite({ ...base, publishedAt: new Date(Number.NaN), body })).toThrow(/publish time/);
  });
});

describe("deletion messages (DELETE /users/{id}, issue 24 item 2)", () => {
  const envelope = { messageId: "m-1", publishedAt: new Date("2026-02-01T10:00:00.000Z") };
  const id = "5C3F1E2A-7B4D-4E6F-8A9B-0C1D2E3F4A5B";

  it("reads a deletion as the id to tombstone and its ordering key", () => {
    const body = JSON.stringify({ delete: true, id, acceptedAt: "2026-02-01T10:00:00.123456Z" });
    expect(toUserChange({ ...envelope, body })).toEqual({
      ...envelope,
      id: id.toLowerCase(),
      acceptedAt: "2026-02-01T10:00:00.123456Z",
    });
  });

  it("rejects a deletion without a UUID or an ordering key, or with other fields, naming them", () => {
    const bad = (payload: unknown) => () => toUserChange({ ...envelope, body: JSON.stringify(payload) });
    expect(bad({ delete: true, id: "nope", acceptedAt: "2026-02-01T10:00:00.123456Z" })).toThrow(
      /id: must be a UUID/,
    );
    expect(bad({ delete: true, id })).toThrow(/acceptedAt/);
    expect(bad({ delete: true, id, acceptedAt: "2026-02-01T10:00:00.123456Z", name: "x" })).toThrow(
      MalformedMessageError,
    );
    expect(() =>
      toUserWrite({
        ...envelope,
        body: JSON.stringify({ delete: true, id, acceptedAt: "2026-02-01T10:00:00.123456Z" }),
      }),
    ).toThrow(/deletion/);
  });

  it("carries the id the API issued for a new user", () => {
    const body = JSON.stringify({ name: "Ada", email: "ada@example.com", id });
    expect(toUserChange({ ...envelope, body })).toEqual(expect.objectContaining({ id: id.toLowerCase() }));
  });
});
