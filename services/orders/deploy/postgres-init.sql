-- orders's own role and database; no other role may connect to it.
-- Run once by the PostgreSQL container (docker-compose.yml mounts it into initdb.d).
CREATE ROLE orders LOGIN PASSWORD 'oj4QdW6a2PCKRltAq7LYerce';
CREATE DATABASE orders OWNER orders;
REVOKE CONNECT ON DATABASE orders FROM PUBLIC;
