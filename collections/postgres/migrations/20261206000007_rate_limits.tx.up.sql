-- Request rate limit counters, one row per (rule, client address) key and
-- fixed window, shared by every node: N nodes behind a balancer allow a
-- client one budget, not N. Unlogged like _auth_failures: counters are
-- worth nothing after a crash. Keys are hashes; rows whose window ended
-- are pruned by every node.
CREATE UNLOGGED TABLE _rate_limits (
    key  text        PRIMARY KEY,
    ends timestamptz NOT NULL,
    hits integer     NOT NULL
);
