-- Collection tables created before change capture existed get its trigger.
-- _ensure_capture is idempotent: it adds the trigger only where it is
-- missing.
CREATE FUNCTION _ensure_capture() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    c record;
    added integer := 0;
BEGIN
    FOR c IN
        SELECT col.id, col.name FROM _collections col
        JOIN pg_class t ON t.relname = col.name AND t.relnamespace = current_schema()::regnamespace AND t.relkind = 'r'
        WHERE col.type IN ('base', 'auth')
          AND NOT EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = t.oid AND g.tgname = 'capture_changes')
    LOOP
        EXECUTE format('CREATE TRIGGER capture_changes AFTER INSERT OR UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION _capture_change(%L)', c.name, c.id);
        added := added + 1;
    END LOOP;
    RETURN added;
END $$;

--bun:split

SELECT _ensure_capture();
