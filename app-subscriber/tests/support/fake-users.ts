import type { UserDeletion, UserRepository, UserWrite } from "@sml/contracts/users";

/** An in-memory UserRepository that records each upsert call (for handler and use-case unit tests). */
export function fakeUsers(options: { failWith?: Error } = {}) {
  const calls: UserWrite[][] = [];
  const removals: UserDeletion[][] = [];
  const users: UserRepository = {
    list: async () => ({ items: [], nextCursor: null }),
    get: async () => undefined,
    upsert: async (writes) => {
      calls.push([...writes]);
      if (options.failWith) throw options.failWith;
    },
    remove: async (deletions) => {
      removals.push([...deletions]);
      if (options.failWith) throw options.failWith;
    },
    ping: async () => undefined,
  };
  return { users, calls, removals };
}
