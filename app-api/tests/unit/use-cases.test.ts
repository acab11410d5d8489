import { ACCEPTED_AT_PATTERN } from "@sml/contracts/users";
import { httpStatusOf } from "@sml/lambda-http";
import { createAcceptanceClock } from "../../src/core/acceptance-clock";
import { DatabaseUnavailableError, NotFoundError, PublishFailedError } from "../../src/core/errors";
import { createUseCases } from "../../src/core/use-cases";
import { InMemoryUserReader, RecordingPublisher } from "../support/fakes";

function setup() {
  const repository = new InMemoryUserReader();
  const publisher = new RecordingPublisher();
  const useCases = createUseCases({ repository, publisher, healthTimeoutMs: 50 });
  return { repository, publisher, useCases };
}

describe("use cases", () => {
  it("submitUser publishes only name, email, the acceptance time and a new user's id, and resolves with them", async () => {
    const { useCases, publisher } = setup();
    const extra = { name: "Ada", email: "ada@example.com", role: "admin" };
    const accepted = await useCases.submitUser(extra);
    expect(accepted).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      messageId: "msg-1",
      acceptedAt: expect.stringMatching(ACCEPTED_AT_PATTERN),
    });
    expect(publisher.published).toEqual([
      { name: "Ada", email: "ada@example.com", acceptedAt: accepted.acceptedAt, id: accepted.id },
    ]);
    // Every accepted write gets its own id.
    expect((await useCases.submitUser(extra)).id).not.toBe(accepted.id);
  });

  it("gives updates accepted within one millisecond strictly increasing ordering keys (issue 16, finding 2)", async () => {
    const { publisher } = setup();
    // A frozen clock: every submission falls in the same millisecond, as 5-9 of 200 concurrent updates did.
    const useCases = createUseCases({
      repository: new InMemoryUserReader(),
      publisher,
      healthTimeoutMs: 50,
      clock: createAcceptanceClock(() => Date.parse("2026-11-27T12:00:00.000Z")),
    });
    const keys: string[] = [];
    for (let i = 0; i < 1500; i++)
      keys.push((await useCases.submitUser({ name: `n${i}`, email: "tie@example.com" })).acceptedAt);
    expect([...keys].sort()).toEqual(keys);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys[0]).toBe("2026-11-27T12:00:00.000000Z");
    // Past 1000 in one millisecond the key runs ahead of the clock rather than repeating.
    expect(keys[1000]).toBe("2026-11-27T12:00:00.001000Z");
  });

  it("submitUser turns a publisher failure into a 503 PublishFailedError keeping the cause", async () => {
    const { useCases, publisher } = setup();
    const cause = new Error("AccessDenied");
    publisher.failWith = cause;
    const err = await useCases.submitUser({ name: "Ada", email: "ada@example.com" }).catch((e) => e);
    expect(err).toBeInstanceOf(PublishFailedError);
    expect(httpStatusOf(err)?.statusCode).toBe(503);
    expect(err.cause).toBe(cause);
  });

  it("listUsers passes the cursor only when the client sent one", async () => {
    const { useCases, repository } = setup();
    const list = jest.spyOn(repository, "list");
    repository.seed(3);
    await useCases.listUsers({ limit: 2 });
    const { nextCursor } = await useCases.listUsers({ limit: 1 });
    await useCases.listUsers({ limit: 2, cursor: nextCursor ?? "" });
    expect(list.mock.calls.map(([params]) => params)).toEqual([
      { limit: 2 },
      { limit: 1 },
      { limit: 2, cursor: nextCursor },
    ]);
  });

  it("getUser throws NotFoundError for a missing user and for an id longer than 64 characters", async () => {
    const { useCases, repository } = setup();
    const [user] = repository.seed(1);
    await expect(useCases.getUser(user?.id ?? "")).resolves.toEqual(user);
    await expect(useCases.getUser("u999999")).rejects.toBeInstanceOf(NotFoundError);
    await expect(useCases.getUser("a".repeat(65))).rejects.toBeInstanceOf(NotFoundError);
  });

  it("checkHealth throws DatabaseUnavailableError when the ping fails or outlasts the timeout", async () => {
    const { useCases, repository } = setup();
    await expect(useCases.checkHealth()).resolves.toBeUndefined();
    repository.pingError = new Error("down");
    await expect(useCases.checkHealth()).rejects.toBeInstanceOf(DatabaseUnavailableError);
    repository.pingError = undefined;
    repository.pingHangs = true;
    await expect(useCases.checkHealth()).rejects.toThrow(/not answering/);
  });
});
