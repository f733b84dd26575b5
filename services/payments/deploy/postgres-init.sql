-- payments's own role and database; no other role may connect to it.
-- Run once by the PostgreSQL container (docker-compose.yml mounts it into initdb.d).
CREATE ROLE payments LOGIN PASSWORD 'W8ftuQCSGNSj6Vz0p7zFZ1hP';
CREATE DATABASE payments OWNER payments;
REVOKE CONNECT ON DATABASE payments FROM PUBLIC;
