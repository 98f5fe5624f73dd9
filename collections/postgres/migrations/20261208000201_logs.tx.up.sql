-- The request log (PocketBase's request logs): the requests each node kept
-- under the logs settings, written in batches by the node that answered
-- them, so that GET /api/logs on any node lists every node's requests and
-- they outlive a restart.
--
-- The columns are named as the log's fields, so that the filter language
-- compiles to them as to a collection's. seq orders entries made in the
-- same instant as they were written.
CREATE TABLE _logs (
    id         text             PRIMARY KEY,
    seq        bigint           GENERATED ALWAYS AS IDENTITY,
    created    timestamptz      NOT NULL,
    method     text             NOT NULL DEFAULT '',
    url        text             NOT NULL DEFAULT '',
    status     double precision NOT NULL DEFAULT 0,
    "execTime" double precision NOT NULL DEFAULT 0,
    auth       text             NOT NULL DEFAULT '',
    "authId"   text             NOT NULL DEFAULT '',
    ip         text             NOT NULL DEFAULT '',
    -- slog's scale: 8 (error) for a request that failed, else 0 (info).
    level      double precision NOT NULL DEFAULT 0
);
-- The list's default order, the stats, and pruning by age.
CREATE INDEX _logs_created_idx ON _logs (created, seq);
-- The common filters: by level (and pruning below minLevel), status,
-- signed-in record and address.
CREATE INDEX _logs_level_idx ON _logs (level, created);
CREATE INDEX _logs_status_idx ON _logs (status, created);
CREATE INDEX _logs_auth_idx ON _logs (auth, "authId");
CREATE INDEX _logs_ip_idx ON _logs (ip);
