-- The change log carries who made each change and from where. Lumbung's
-- write path sets lumbung.actor ("user:<collectionId>:<id>",
-- "superuser:<id>", "system", "plugin:<id>", "guest"), lumbung.request_id
-- and lumbung.ip with set_config(..., true) inside the writing
-- transaction, in the same round trip as its first write; the trigger
-- copies them. A write by any other client (plain SQL) leaves the actor
-- empty, which the audit shows as "sql".
ALTER TABLE _events
    ADD COLUMN actor      text NOT NULL DEFAULT '',
    ADD COLUMN request_id text NOT NULL DEFAULT '',
    ADD COLUMN ip         text NOT NULL DEFAULT '';

--bun:split

CREATE OR REPLACE FUNCTION _capture_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    xact text := pg_current_xact_id()::text;
    last bigint;
    who  text := coalesce(current_setting('lumbung.actor', true), '');
    req  text := coalesce(current_setting('lumbung.request_id', true), '');
    addr text := coalesce(current_setting('lumbung.ip', true), '');
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
        INSERT INTO _events (collection_id, action, record_id, new, actor, request_id, ip)
        VALUES (TG_ARGV[0], 'create', NEW.id, to_jsonb(NEW), who, req, addr);
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO _events (collection_id, action, record_id, new, old, actor, request_id, ip)
        VALUES (TG_ARGV[0], 'update', NEW.id, to_jsonb(NEW), to_jsonb(OLD), who, req, addr);
    ELSE
        INSERT INTO _events (collection_id, action, record_id, old, actor, request_id, ip)
        VALUES (TG_ARGV[0], 'delete', OLD.id, to_jsonb(OLD), who, req, addr);
    END IF;
    RETURN NULL;
END $$;
