-- Failed sign-ins, for the password throttle every node shares. Unlogged:
-- the rows are worth nothing after a crash, and writing them to the WAL
-- would only cost. Keys are hashes of the identity or the client address.
CREATE UNLOGGED TABLE _auth_failures (
    key text        NOT NULL,
    at  timestamptz NOT NULL
);
CREATE INDEX _auth_failures_key_at_idx ON _auth_failures (key, at);
