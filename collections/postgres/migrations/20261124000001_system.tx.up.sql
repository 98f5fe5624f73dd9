-- Collection definitions. "definition" is the collection JSON; the other
-- columns duplicate what queries need to look at.
CREATE TABLE _collections (
    id         text PRIMARY KEY,
    name       text NOT NULL,
    type       text NOT NULL,
    system     boolean NOT NULL DEFAULT false,
    definition jsonb NOT NULL,
    created    timestamptz NOT NULL DEFAULT now(),
    updated    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX _collections_name_key ON _collections (lower(name));

--bun:split

-- Every applied schema change with the statements that ran.
CREATE TABLE _schema_history (
    id              bigserial PRIMARY KEY,
    collection_id   text NOT NULL,
    collection_name text NOT NULL,
    action          text NOT NULL,
    before          jsonb,
    after           jsonb,
    steps           jsonb NOT NULL,
    actor           text NOT NULL DEFAULT '',
    created         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX _schema_history_collection_idx ON _schema_history (collection_id, id);

--bun:split

-- Casts that return NULL instead of failing: type changes use them to count
-- and (when allowed) discard values that do not convert.
CREATE FUNCTION _try_float8(v text) RETURNS double precision
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN CASE WHEN v::double precision IN ('NaN', 'Infinity', '-Infinity') THEN NULL ELSE v::double precision END;
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;

--bun:split

CREATE FUNCTION _try_timestamptz(v text) RETURNS timestamptz
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    RETURN v::timestamptz;
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;

--bun:split

CREATE FUNCTION _try_jsonb(v text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN v::jsonb;
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;

--bun:split

CREATE FUNCTION _try_bool(v text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN v::boolean;
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;

--bun:split

-- Keeps multi-relation (text[]) columns consistent when a referenced record
-- is deleted: the id is removed from the arrays, or the referencing rows are
-- deleted when the field cascades. Installed per field as a trigger on the
-- target table with TG_ARGV = (table, column, cascade).
CREATE FUNCTION _multi_relation_on_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_ARGV[2] = 'cascade' THEN
        EXECUTE format('DELETE FROM %I WHERE %I @> ARRAY[$1]', TG_ARGV[0], TG_ARGV[1]) USING OLD.id;
    ELSE
        EXECUTE format('UPDATE %I SET %I = array_remove(%I, $1) WHERE %I @> ARRAY[$1]',
            TG_ARGV[0], TG_ARGV[1], TG_ARGV[1], TG_ARGV[1]) USING OLD.id;
    END IF;
    RETURN OLD;
END $$;

--bun:split

-- Application settings and secrets, one JSON value per key.
CREATE TABLE _params (
    key     text PRIMARY KEY,
    value   jsonb NOT NULL,
    updated timestamptz NOT NULL DEFAULT now()
);
