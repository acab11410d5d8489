import type { UserDeletion, UserWrite, UserWriter } from "@sml/contracts/users";

/** An in-memory UserWriter that records each upsert call (for handler and use-case unit tests). */
export function fakeUsers(options: { failWith?: Error } = {}) {
  const calls: UserWrite[][] = [];
  const removals: UserDeletion[][] = [];
  const users: UserWriter = {
    upsert: async (writes) => {
      calls.push([...writes]);
      if (options.failWith) throw options.failWith;
    },
    remove: async (deletions) => {
      removals.push([...deletions]);
      if (options.failWith) throw options.failWith;
    },
  };
  return { users, calls, removals };
}
