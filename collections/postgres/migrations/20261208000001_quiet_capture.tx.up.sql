-- Change capture without a NOTIFY per write. A NOTIFY makes its transaction
-- take a database-wide lock from the commit until the commit's WAL flush
-- ends, so every writing transaction that notifies commits one after the
-- other: with durable commits that alone limited record writes to a few
-- hundred per second. Lumbung's own connections set lumbung.quiet and
-- announce their commits once, from one goroutine per node, coalescing
-- what committed meanwhile (postgres.DB.Announce). Every other writer
-- (psql, another service) still notifies from the trigger. Nodes also read
-- the log on a timer, so a missed announcement delays events, never loses
-- them.
CREATE OR REPLACE FUNCTION _capture_change() RETURNS trigger
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
        IF current_setting('lumbung.quiet', true) IS DISTINCT FROM 'on' THEN
            PERFORM pg_notify('lumbung_events', '');
        END IF;
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
    RETURN NULL;
END $$;
