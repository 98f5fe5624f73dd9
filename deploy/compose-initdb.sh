#!/bin/sh
# Run once by the postgres image on an empty data directory: Lumbung's role
# owns its database and is no superuser (view queries run as it).
set -eu
psql -v ON_ERROR_STOP=1 -v pw="$LUMBUNG_DB_PASSWORD" --username "$POSTGRES_USER" --dbname postgres <<'SQL'
CREATE ROLE lumbung LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'pw';
CREATE DATABASE lumbung OWNER lumbung;
\connect lumbung
ALTER SCHEMA public OWNER TO lumbung;
SQL
