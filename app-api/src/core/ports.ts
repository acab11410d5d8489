import type { UserDeletionMessage, UserMessage } from "@sml/contracts/users";

export type { User, UserPage, UserReader } from "@sml/contracts/users";

/** Publishes an accepted write or deletion to the topic the subscriber consumes; resolves with the broker's message id. */
export interface UserPublisher {
  publish(message: UserMessage | UserDeletionMessage): Promise<{ readonly messageId: string }>;
}
