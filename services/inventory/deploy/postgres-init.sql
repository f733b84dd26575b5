-- inventory's own role and database; no other role may connect to it.
-- Run once by the PostgreSQL container (docker-compose.yml mounts it into initdb.d).
CREATE ROLE inventory LOGIN PASSWORD 'UXUgcQS7_FTDga8ecHncTpH3';
CREATE DATABASE inventory OWNER inventory;
REVOKE CONNECT ON DATABASE inventory FROM PUBLIC;
