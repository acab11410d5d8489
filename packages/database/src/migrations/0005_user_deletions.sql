-- DELETE /users/{id} (packages/contracts/src/users.ts, UserDeletion): a deleted user stays as a tombstone, its
-- deletion recorded like any write in last_published_at/last_message_id (the ordering key, then the message id),
-- so an older create or update arriving late or redelivered changes nothing, and a newer one brings the user back
-- (the upsert clears deleted_at). Reads skip tombstones. The subscriber already holds UPDATE on users (0002); the
-- api stays SELECT-only.
ALTER TABLE users ADD COLUMN deleted_at timestamptz;
