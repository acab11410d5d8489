-- Batch predictions (packages/contracts/src/batches.ts): one row per batch, one per range of its file. A range's
-- row is written once per attempt with an upsert, so a retried range replaces its own counts and errors and the
-- batch's totals (sums over its ranges) never count a row twice.
CREATE TABLE batches (
  id uuid PRIMARY KEY,
  format text NOT NULL CHECK (format IN ('csv', 'jsonl')),
  status text NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed')),
  model_name text NOT NULL,
  model_version text NOT NULL,
  failure text,
  range_count integer CHECK (range_count > 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE batch_ranges (
  batch_id uuid NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
  range_index integer NOT NULL CHECK (range_index >= 0),
  start_byte bigint NOT NULL,
  end_byte bigint NOT NULL CHECK (end_byte > start_byte),
  first_line bigint NOT NULL CHECK (first_line > 0),
  done boolean NOT NULL DEFAULT false,
  rows_read integer NOT NULL DEFAULT 0,
  rows_scored integer NOT NULL DEFAULT 0,
  rows_rejected integer NOT NULL DEFAULT 0,
  errors jsonb NOT NULL DEFAULT '[]',
  PRIMARY KEY (batch_id, range_index)
);

-- The batch functions' own database user (see 0002 for why LOGIN without a password, and the DO quoting).
DO 'BEGIN CREATE ROLE sml_batch LOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END';

DO 'BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ''rds_iam'') THEN GRANT rds_iam TO sml_batch; END IF; END';

GRANT USAGE ON SCHEMA public TO sml_batch;

-- POST /batches inserts, GET /batches/{id} reads, the worker plans ranges and records their outcomes.
GRANT SELECT, INSERT, UPDATE ON batches, batch_ranges TO sml_batch;
