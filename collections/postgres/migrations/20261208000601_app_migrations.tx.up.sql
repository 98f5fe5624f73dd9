-- The app's migrations (DIR/migrations/*.js and those plugins register)
-- that this database has applied: PocketBase's _migrations table. The
-- system schema's own migrations are recorded in _migrations.
CREATE TABLE _app_migrations (
    name    text        PRIMARY KEY,
    applied timestamptz NOT NULL DEFAULT clock_timestamp()
);
