-- The audit log: one entry per change of the change log, written by the
-- audit consumer (collections.Auditor) of whichever node holds its cursor
-- (the _event_consumers row 'audit', created when a server first runs the
-- consumer and locked while a batch is written, so with many nodes each
-- entry is written once). id is the event's seq.
-- diff holds, per changed field, {"old": …, "new": …} with secrets masked.
-- It has its own retention (the audit settings); the change log is pruned
-- by the realtime retention, never past the audit's cursor.
-- Columns are named as the filter language names them (GET /api/audit).
-- data is the record after the change (before it, for a delete), masked
-- alike: what restoring a version writes back.
CREATE TABLE _audit (
    id               bigint PRIMARY KEY,
    created          timestamptz NOT NULL,
    actor            text NOT NULL,
    "requestId"      text NOT NULL DEFAULT '',
    ip               text,
    "collectionId"   text NOT NULL,
    "collectionName" text NOT NULL,
    "recordId"       text NOT NULL,
    action           text NOT NULL,
    diff             jsonb NOT NULL,
    data             jsonb NOT NULL
);
-- created grows with id: a BRIN index serves the retention's prune at
-- almost no cost per entry.
CREATE INDEX _audit_created_idx ON _audit USING brin (created);
CREATE INDEX _audit_record_idx ON _audit ("collectionId", "recordId", id);

