-- Batches belong to the caller that created them (the token's `sub`, never an e-mail address). Batches created
-- before this column existed get '' (nobody): only admins list them, and they expire with their objects.
ALTER TABLE batches ADD COLUMN owner text NOT NULL DEFAULT '';

ALTER TABLE batches ALTER COLUMN owner DROP DEFAULT;

-- GET /batches: one owner's batches, newest first, keyset-paged on (created_at, id).
CREATE INDEX batches_owner_created_idx ON batches (owner, created_at DESC, id DESC);

-- GET /batches?scope=all (admins): everyone's, same order.
CREATE INDEX batches_created_idx ON batches (created_at DESC, id DESC);
