-- The trigger that keeps a multi-relation field in step with its target was
-- named after the field id alone, but field ids repeat across collections
-- (PocketBase derives them from the field name): two collections' "tags"
-- fields pointing at the same collection clashed. Triggers are now named
-- after the collection id and the field id (see triggerName); this renames
-- the existing ones, found by the collection and field names they carry.
DO $$
DECLARE
    t    record;
    args text[];
    cid  text;
    fid  text;
    name text;
BEGIN
    FOR t IN
        SELECT tg.tgname, tg.tgrelid, encode(tg.tgargs, 'escape') AS raw
        FROM pg_trigger tg
        WHERE tg.tgfoid = '_multi_relation_on_delete'::regproc
    LOOP
        args := string_to_array(t.raw, '\000');
        SELECT c.id, f->>'id' INTO cid, fid
        FROM _collections c, jsonb_array_elements(c.definition->'fields') f
        WHERE c.name = args[1] AND f->>'name' = args[2];
        IF cid IS NULL THEN
            CONTINUE;
        END IF;
        name := 'mrel_' || cid || '_' || fid;
        IF length(name) > 63 THEN
            name := left(name, 30) || '_' || md5(name);
        END IF;
        IF name <> t.tgname THEN
            EXECUTE format('ALTER TRIGGER %I ON %s RENAME TO %I', t.tgname, t.tgrelid::regclass, name);
        END IF;
    END LOOP;
END $$;
