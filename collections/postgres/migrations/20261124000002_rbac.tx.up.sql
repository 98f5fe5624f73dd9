-- Access-control rules in Casbin's layout (rbac.Model). "p" rows are
-- policies: v0 subject (a role or a user "<collectionId>:<recordId>"), v1
-- collection id or '*', v2 action or '*', v3 condition (a filter, '' = every
-- record), v4 comma-separated fields ('' = every field). "g" rows make v0 a
-- member of the role v1.
CREATE TABLE _casbin_rule (
    id    bigserial PRIMARY KEY,
    ptype text NOT NULL,
    v0    text NOT NULL DEFAULT '',
    v1    text NOT NULL DEFAULT '',
    v2    text NOT NULL DEFAULT '',
    v3    text NOT NULL DEFAULT '',
    v4    text NOT NULL DEFAULT '',
    v5    text NOT NULL DEFAULT ''
);

--bun:split

-- One row per rule. Conditions and field lists can be longer than a btree
-- entry may be, so those columns take part through their digest.
CREATE UNIQUE INDEX _casbin_rule_key ON _casbin_rule (ptype, v0, v1, v2, md5(v3), md5(v4), md5(v5));

--bun:split

CREATE INDEX _casbin_rule_v1_idx ON _casbin_rule (v1);

--bun:split

-- Roles. guest (everyone) and authenticated (every signed-in user) are
-- implicit: they always exist and cannot be deleted or renamed.
CREATE TABLE _roles (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$'),
    description text NOT NULL DEFAULT '',
    created     timestamptz NOT NULL DEFAULT now(),
    updated     timestamptz NOT NULL DEFAULT now()
);

--bun:split

INSERT INTO _roles (name, description) VALUES
    ('guest', 'Everyone, signed in or not.'),
    ('authenticated', 'Every signed-in user.');

--bun:split

CREATE FUNCTION _roles_keep_implicit() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.name IN ('guest', 'authenticated') AND (TG_OP = 'DELETE' OR NEW.name <> OLD.name) THEN
        RAISE EXCEPTION 'the role % is implicit and cannot be deleted or renamed', OLD.name
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;

--bun:split

CREATE TRIGGER _roles_keep_implicit BEFORE UPDATE OR DELETE ON _roles
    FOR EACH ROW EXECUTE FUNCTION _roles_keep_implicit();

--bun:split

-- A deleted role takes its policies and assignments (to it and from it)
-- along.
CREATE FUNCTION _roles_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM _casbin_rule
    WHERE (ptype = 'p' AND v0 = OLD.name)
       OR (ptype = 'g' AND (v0 = OLD.name OR v1 = OLD.name));
    RETURN NULL;
END $$;

--bun:split

CREATE TRIGGER _roles_deleted AFTER DELETE ON _roles
    FOR EACH ROW EXECUTE FUNCTION _roles_deleted();

--bun:split

-- A deleted collection takes along the policies on it and the rules of its
-- users (auth collections), in the transaction that deletes it.
CREATE FUNCTION _collections_rbac_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM _casbin_rule
    WHERE (ptype = 'p' AND v1 = OLD.id)
       OR starts_with(v0, OLD.id || ':');
    RETURN NULL;
END $$;

--bun:split

CREATE TRIGGER _collections_rbac_deleted AFTER DELETE ON _collections
    FOR EACH ROW EXECUTE FUNCTION _collections_rbac_deleted();

--bun:split

-- Every node reloads its rules on NOTIFY lumbung_policies. The triggers are
-- per statement and notify only when rows changed; Postgres delivers one
-- notification per transaction however many statements sent it.
CREATE FUNCTION _rbac_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('lumbung_policies', '');
    ELSIF TG_OP = 'DELETE' THEN
        IF EXISTS (SELECT 1 FROM old_rows) THEN
            PERFORM pg_notify('lumbung_policies', '');
        END IF;
    ELSIF EXISTS (SELECT 1 FROM new_rows) THEN
        PERFORM pg_notify('lumbung_policies', '');
    END IF;
    RETURN NULL;
END $$;

--bun:split

CREATE TRIGGER _casbin_rule_notify_insert AFTER INSERT ON _casbin_rule
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION _rbac_notify();

--bun:split

CREATE TRIGGER _casbin_rule_notify_update AFTER UPDATE ON _casbin_rule
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION _rbac_notify();

--bun:split

CREATE TRIGGER _casbin_rule_notify_delete AFTER DELETE ON _casbin_rule
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION _rbac_notify();

--bun:split

CREATE TRIGGER _casbin_rule_notify_truncate AFTER TRUNCATE ON _casbin_rule
    FOR EACH STATEMENT EXECUTE FUNCTION _rbac_notify();

--bun:split

CREATE TRIGGER _roles_notify_insert AFTER INSERT ON _roles
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION _rbac_notify();

--bun:split

CREATE TRIGGER _roles_notify_update AFTER UPDATE ON _roles
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION _rbac_notify();

--bun:split

CREATE TRIGGER _roles_notify_delete AFTER DELETE ON _roles
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION _rbac_notify();

--bun:split

CREATE TRIGGER _roles_notify_truncate AFTER TRUNCATE ON _roles
    FOR EACH STATEMENT EXECUTE FUNCTION _rbac_notify();
