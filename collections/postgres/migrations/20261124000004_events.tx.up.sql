-- Change capture. A trigger installed by the DDL planner on every base and
-- auth collection table appends each row change to _events inside the
-- writing transaction, so writes by any client (plain SQL included) produce
-- events and a rolled back write produces none. NOTIFY lumbung_events wakes
-- the nodes, which read _events in seq order.
CREATE TABLE _events (
    seq           bigserial PRIMARY KEY,
    xid           xid8 NOT NULL DEFAULT pg_current_xact_id(),
    collection_id text NOT NULL,
    action        text NOT NULL,
    record_id     text NOT NULL,
    new           jsonb,
    old           jsonb,
    created       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX _events_created_idx ON _events (created);

--bun:split

-- Sequence numbers are allocated when a row is written but become visible
-- when its transaction commits, so they commit out of order. Before its
-- first event, a transaction takes a shared transaction-level advisory lock
-- whose key is 2^62 + the sequence's last value: every seq it will allocate
-- is above that value. Readers (see _events_horizon) never read past the
-- smallest such key still held. The lock is taken before nextval, so a
-- reader that does not see it cannot see any event numbered after the
-- seqs that transaction allocates.
CREATE FUNCTION _capture_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    xact text := pg_current_xact_id()::text;
    last bigint;
BEGIN
    IF current_setting('lumbung.capture_xact', true) IS DISTINCT FROM xact THEN
        SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END
          INTO last FROM _events_seq_seq;
        PERFORM pg_advisory_xact_lock_shared(4611686018427387904 + last);
        PERFORM set_config('lumbung.capture_xact', xact, true);
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO _events (collection_id, action, record_id, new)
        VALUES (TG_ARGV[0], 'create', NEW.id, to_jsonb(NEW));
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO _events (collection_id, action, record_id, new, old)
        VALUES (TG_ARGV[0], 'update', NEW.id, to_jsonb(NEW), to_jsonb(OLD));
    ELSE
        INSERT INTO _events (collection_id, action, record_id, old)
        VALUES (TG_ARGV[0], 'delete', OLD.id, to_jsonb(OLD));
    END IF;
    PERFORM pg_notify('lumbung_events', '');
    RETURN NULL;
END $$;

--bun:split

-- _events_horizon returns H such that every event with seq <= H is, for
-- any snapshot taken after this call returns, either visible or never going
-- to exist. It reads the sequence first and the locks second: a writer
-- that takes its lock after the lock scan allocates seqs above the value
-- read first. Callers must read events in a later statement (a new
-- snapshot), not in the same one.
CREATE FUNCTION _events_horizon() RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    last bigint;
    held bigint;
BEGIN
    SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END
      INTO last FROM _events_seq_seq;
    SELECT min(((l.classid::bigint << 32) | l.objid::bigint) - 4611686018427387904)
      INTO held FROM pg_locks AS l
     WHERE l.locktype = 'advisory' AND l.objsubid = 1
       AND l.classid::bigint >= 1073741824
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database());
    RETURN least(last, held);
END $$;
