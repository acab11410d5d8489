-- Users, unique by email case-insensitively. last_published_at/last_message_id record the SNS message that
-- last changed the row, so an older or redelivered message changes nothing (see the upsert in user-repository.ts).
CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  email text NOT NULL CHECK (char_length(email) BETWEEN 3 AND 320),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  last_published_at timestamptz NOT NULL,
  last_message_id text NOT NULL
);

CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

-- Keyset pagination walks (created_at, id).
CREATE INDEX users_created_at_id_idx ON users (created_at, id);
