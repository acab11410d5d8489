import { orderingKeyOf, type UserDeletion, type UserWrite, type UserWriter } from "@sml/contracts/users";
import { UserStoreUnavailableError } from "./errors";

export interface SaveUsersResult {
  /** Rows offered to the store after merging messages for the same email. */
  readonly written: number;
  /** Messages dropped before the write because a newer one for the same email was in the batch. */
  readonly superseded: number;
  /** Deletions offered to the store (each applied only when newer than what the row holds). */
  readonly deleted: number;
}

const isNewer = (a: UserWrite | UserDeletion, b: UserWrite | UserDeletion): boolean => {
  const [keyA, keyB] = [orderingKeyOf(a), orderingKeyOf(b)];
  return keyA !== keyB ? keyA > keyB : a.messageId > b.messageId;
};

/**
 * Stores a batch of user messages with ONE repository call. Messages for the same email (case-insensitive) are
 * merged first, the newest ordering key (the API's acceptance time) winning, the same rule the store applies against stored rows, so the
 * outcome does not depend on the order SQS delivered them in.
 */
export async function saveUsers(
  users: UserWriter,
  writes: readonly UserWrite[],
  deletions: readonly UserDeletion[] = [],
): Promise<SaveUsersResult> {
  const newest = new Map<string, UserWrite>();
  for (const write of writes) {
    const key = write.email.toLowerCase();
    const current = newest.get(key);
    if (!current || isNewer(write, current)) newest.set(key, write);
  }
  const batch = [...newest.values()];
  if (batch.length > 0) {
    try {
      await users.upsert(batch);
    } catch (err) {
      throw new UserStoreUnavailableError(`storing ${batch.length} users failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  // Writes, then deletions: both apply only what is newer than the row, so the order of the two statements does
  // not change the outcome (a deletion older than a write in the same batch leaves the user; a newer one removes it).
  if (deletions.length > 0) {
    try {
      await users.remove(deletions);
    } catch (err) {
      throw new UserStoreUnavailableError(
        `deleting ${deletions.length} users failed: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }
  return { written: batch.length, superseded: writes.length - batch.length, deleted: deletions.length };
}
