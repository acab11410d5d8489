-- Least-privilege database users for the functions (docs/operations.md, "Database users and IAM tokens"). The
-- master user runs migrations only; the api reads users, the subscriber upserts them. Neither owns a table, so
-- neither can alter or drop one. Every later migration that adds a table grants these users what they need on
-- it, explicitly.
--
-- Roles are cluster-wide while this file runs once per database, and two databases on one server (test workers)
-- may run it at the same time: each CREATE ROLE tolerates the role existing already (duplicate_object), or
-- appearing concurrently (unique_violation). LOGIN without a password: on Aurora the users log in only with
-- IAM tokens (rds_iam below); a server with password authentication refuses them; a local trust-auth server
-- lets them in, as it lets anyone.
--
-- The DO bodies are single-quoted strings on one line: the statement splitter cuts at a `;` that ends a line,
-- and data-api-local (the Data API stand-in in tests) cuts at any `;` outside quotes.
DO 'BEGIN CREATE ROLE sml_api LOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END';

DO 'BEGIN CREATE ROLE sml_subscriber LOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END';

-- rds_iam exists only on RDS and Aurora; membership makes RDS require an IAM token instead of a password.
-- PostgreSQL and PGlite (local stack, tests) have no such role, and their users log in as before.
DO 'BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ''rds_iam'') THEN GRANT rds_iam TO sml_api, sml_subscriber; END IF; END';

GRANT USAGE ON SCHEMA public TO sml_api, sml_subscriber;

-- GET /users and GET /users/{id}.
GRANT SELECT ON users TO sml_api;

-- The subscriber's upsert: INSERT ... ON CONFLICT DO UPDATE ... WHERE reads the existing row, then writes it.
GRANT SELECT, INSERT, UPDATE ON users TO sml_subscriber;
