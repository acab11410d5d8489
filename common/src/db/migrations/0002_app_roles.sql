-- Least-privilege database users for the functions (docs/operations.md, "Database credentials"). The master
-- user runs migrations only; the api reads users, the subscriber upserts them. Neither owns a table, so neither
-- can alter or drop one. Roles are cluster-wide while this file runs per database, and two databases on one
-- server (test workers) may run it at once: each CREATE ROLE tolerates the role existing already.
-- LOGIN without a password: on Aurora the users log in only with IAM tokens (rds_iam below); a server with
-- password authentication refuses them; a local trust-auth server lets them in, as it lets anyone.
-- Every later migration that adds a table grants these users what they need on it, explicitly.
DO $$
BEGIN
  CREATE ROLE sml_api LOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END
$$;

DO $$
BEGIN
  CREATE ROLE sml_subscriber LOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END
$$;

-- rds_iam exists only on RDS/Aurora; membership makes RDS check an IAM token instead of a password. PostgreSQL
-- and PGlite (local stack, tests) have no such role and keep their own authentication.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam') THEN
    GRANT rds_iam TO sml_api, sml_subscriber;
  END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO sml_api, sml_subscriber;

-- GET /users and GET /users/{id}.
GRANT SELECT ON users TO sml_api;

-- The upsert: INSERT ... ON CONFLICT DO UPDATE ... WHERE reads the existing row (SELECT) and writes it.
GRANT SELECT, INSERT, UPDATE ON users TO sml_subscriber;
