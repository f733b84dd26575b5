-- orders's two roles and its database (docs/adr/0025-least-privilege-roles-and-secrets.md).
-- orders_migrator owns the database and its schema and runs the migrations
-- (ORDERS_MIGRATION_DATABASE_URL); orders, the role the service serves with
-- (ORDERS_DATABASE_URL), may only read and write the tables the migrator makes.
-- No other role may connect. Run once by the PostgreSQL container (docker-compose.yml mounts
-- it into initdb.d), with the passwords from its environment: compose reads them from the
-- git-ignored .env that `mkservice secrets` writes. No password is written here.
\set ON_ERROR_STOP on
\getenv migrator_password ORDERS_MIGRATOR_DB_PASSWORD
\getenv runtime_password ORDERS_DB_PASSWORD
\if :{?migrator_password}
\else
  \warn 'ORDERS_MIGRATOR_DB_PASSWORD is not set: run `mkservice secrets`, then start PostgreSQL on a new volume'
  SELECT 1 / 0 AS "ORDERS_MIGRATOR_DB_PASSWORD is not set";
\endif
\if :{?runtime_password}
\else
  \warn 'ORDERS_DB_PASSWORD is not set: run `mkservice secrets`, then start PostgreSQL on a new volume'
  SELECT 1 / 0 AS "ORDERS_DB_PASSWORD is not set";
\endif
CREATE ROLE orders_migrator LOGIN PASSWORD :'migrator_password';
CREATE ROLE orders LOGIN PASSWORD :'runtime_password';
CREATE DATABASE orders OWNER orders_migrator;
-- CONNECT and TEMP: no other role may connect, nor make temporary tables here.
REVOKE ALL ON DATABASE orders FROM PUBLIC;
GRANT CONNECT ON DATABASE orders TO orders;
\connect orders
-- Before PostgreSQL 15 every role could create tables in public.
REVOKE ALL ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO orders_migrator;
GRANT USAGE ON SCHEMA public TO orders;
-- For every table and sequence the migrator makes, now or in a later migration.
ALTER DEFAULT PRIVILEGES FOR ROLE orders_migrator IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO orders;
ALTER DEFAULT PRIVILEGES FOR ROLE orders_migrator IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO orders;
