-- The size the creator declared (POST /batches `bytes`): the per-owner limit on open bytes sums it. Batches
-- created before this column existed have none (counted as 0).
ALTER TABLE batches ADD COLUMN bytes bigint;

-- POST /batches counts the caller's open batches (pending or running) on every creation.
CREATE INDEX batches_open_owner_idx ON batches (owner) WHERE status IN ('pending', 'running');
