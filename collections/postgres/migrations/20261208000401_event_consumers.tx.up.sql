-- Durable consumers of the change log (a webhook, ...) keep their position
-- here: seq is the last event the consumer has handled. The prune keeps
-- every event after the slowest consumer's seq, up to a hold limit: events
-- older than that go anyway, and the consumers that had not read them are
-- marked lagged (when, and up to which seq).
CREATE TABLE _event_consumers (
    id         text PRIMARY KEY,
    seq        bigint NOT NULL,
    lagged     timestamptz,
    lagged_seq bigint
);
