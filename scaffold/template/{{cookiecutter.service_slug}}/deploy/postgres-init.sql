-- {{ cookiecutter.service_slug }}'s own role and database; no other role may connect to it.
-- Run once by the PostgreSQL container (docker-compose.yml mounts it into initdb.d).
CREATE ROLE {{ cookiecutter.package }} LOGIN PASSWORD '{{ cookiecutter.db_password }}';
CREATE DATABASE {{ cookiecutter.package }} OWNER {{ cookiecutter.package }};
REVOKE CONNECT ON DATABASE {{ cookiecutter.package }} FROM PUBLIC;
