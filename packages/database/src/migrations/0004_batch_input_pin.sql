-- The upload a batch scores (InputPin in packages/contracts/src/batches.ts), recorded with its plan: a
-- notification for another upload of the same key (a second PUT to the upload URL) then fails the batch instead
-- of queueing ranges planned on different bytes.
ALTER TABLE batches ADD COLUMN input_etag text;

ALTER TABLE batches ADD COLUMN input_version_id text;
