-- {{ cookiecutter.service_slug }}'s two roles and its database (docs/adr/0025-least-privilege-roles-and-secrets.md).
-- {{ cookiecutter.package }}_migrator owns the database and its schema and runs the migrations
-- ({{ cookiecutter.package.upper() }}_MIGRATION_DATABASE_URL); {{ cookiecutter.package }}, the role the service serves with
-- ({{ cookiecutter.package.upper() }}_DATABASE_URL), may only read and write the tables the migrator makes.
-- No other role may connect. Run once by the PostgreSQL container (docker-compose.yml mounts
-- it into initdb.d), with the passwords from its environment: compose reads them from the
-- git-ignored .env that `mkservice secrets` writes. No password is written here.
\set ON_ERROR_STOP on
\getenv migrator_password {{ cookiecutter.package.upper() }}_MIGRATOR_DB_PASSWORD
\getenv runtime_password {{ cookiecutter.package.upper() }}_DB_PASSWORD
\if :{?migrator_password}
\else
  \warn '{{ cookiecutter.package.upper() }}_MIGRATOR_DB_PASSWORD is not set: run `mkservice secrets`, then start PostgreSQL on a new volume'
  SELECT 1 / 0 AS "{{ cookiecutter.package.upper() }}_MIGRATOR_DB_PASSWORD is not set";
\endif
\if :{?runtime_password}
\else
  \warn '{{ cookiecutter.package.upper() }}_DB_PASSWORD is not set: run `mkservice secrets`, then start PostgreSQL on a new volume'
  SELECT 1 / 0 AS "{{ cookiecutter.package.upper() }}_DB_PASSWORD is not set";
\endif
CREATE ROLE {{ cookiecutter.package }}_migrator LOGIN PASSWORD :'migrator_password';
CREATE ROLE {{ cookiecutter.package }} LOGIN PASSWORD :'runtime_password';
CREATE DATABASE {{ cookiecutter.package }} OWNER {{ cookiecutter.package }}_migrator;
-- CONNECT and TEMP: no other role may connect, nor make temporary tables here.
REVOKE ALL ON DATABASE {{ cookiecutter.package }} FROM PUBLIC;
GRANT CONNECT ON DATABASE {{ cookiecutter.package }} TO {{ cookiecutter.package }};
\connect {{ cookiecutter.package }}
-- Before PostgreSQL 15 every role could create tables in public.
REVOKE ALL ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO {{ cookiecutter.package }}_migrator;
GRANT USAGE ON SCHEMA public TO {{ cookiecutter.package }};
-- For every table and sequence the migrator makes, now or in a later migration.
ALTER DEFAULT PRIVILEGES FOR ROLE {{ cookiecutter.package }}_migrator IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {{ cookiecutter.package }};
ALTER DEFAULT PRIVILEGES FOR ROLE {{ cookiecutter.package }}_migrator IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO {{ cookiecutter.package }};
