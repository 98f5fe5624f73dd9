-- SQLite's functions and loose comparisons for view queries written for
-- PocketBase (SQLite), in the schema _sqlite. Schema changes put _sqlite
-- last on the search path while they describe and create views, so a
-- view query resolves these names only where PostgreSQL has nothing of
-- its own, and the view keeps the functions it was created with. Nothing
-- else (record queries, filters) ever sees this schema.
--
-- Run on every start, idempotently (see DB.Migrate). Times are UTC, as
-- PocketBase keeps them.
CREATE SCHEMA IF NOT EXISTS _sqlite;

-- time_of turns a SQLite time value and its modifiers into a timestamptz:
-- 'now', an ISO date or date-time, a Julian day number, or with the
-- 'unixepoch' modifier seconds since 1970. Modifiers: '+N unit(s)' and
-- '-N unit(s)' (any PostgreSQL interval), 'start of day|month|year',
-- 'weekday N'; 'utc', 'localtime', 'auto' and 'subsec' change nothing. A
-- value or modifier SQLite would not understand gives NULL, as in SQLite.
CREATE OR REPLACE FUNCTION _sqlite.time_of(v text, mods text[]) RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $$
DECLARE
    t timestamptz;
    m text;
    epoch boolean := false;
BEGIN
    IF v IS NULL THEN
        RETURN NULL;
    END IF;
    FOREACH m IN ARRAY coalesce(mods, '{}') LOOP
        IF lower(trim(m)) = 'unixepoch' THEN
            epoch := true;
        END IF;
    END LOOP;
    v := trim(v);
    IF lower(v) = 'now' THEN
        t := now();
    ELSIF v ~ '^[-+]?[0-9]+(\.[0-9]+)?$' THEN
        IF epoch THEN
            t := to_timestamp(v::float8);
        ELSE
            t := to_timestamp((v::float8 - 2440587.5) * 86400);
        END IF;
    ELSE
        t := v::timestamp AT TIME ZONE 'UTC';
    END IF;
    FOREACH m IN ARRAY coalesce(mods, '{}') LOOP
        m := lower(trim(m));
        IF m IN ('unixepoch', 'utc', 'localtime', 'auto', 'subsec', 'subsecond') THEN
            CONTINUE;
        ELSIF m = 'start of day' THEN
            t := date_trunc('day', t AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
        ELSIF m = 'start of month' THEN
            t := date_trunc('month', t AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
        ELSIF m = 'start of year' THEN
            t := date_trunc('year', t AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
        ELSIF m ~ '^weekday [0-6]$' THEN
            t := t + ((substr(m, 9)::int - extract(dow FROM t AT TIME ZONE 'UTC')::int + 7) % 7) * interval '1 day';
        ELSE
            t := t + m::interval;
        END IF;
    END LOOP;
    RETURN t;
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION _sqlite.time_of(v timestamptz, mods text[]) RETURNS timestamptz
LANGUAGE sql STABLE AS $$ SELECT _sqlite.time_of(to_char(v AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), mods) $$;

CREATE OR REPLACE FUNCTION _sqlite.time_of(v float8, mods text[]) RETURNS timestamptz
LANGUAGE sql STABLE AS $$ SELECT _sqlite.time_of(v::text, mods) $$;

-- datetime(value, modifiers…): a timestamptz (SQLite answers the text
-- 'YYYY-MM-DD HH:MM:SS'; a timestamptz compares with date fields as
-- that text compares with PocketBase's).
CREATE OR REPLACE FUNCTION _sqlite.datetime(v text DEFAULT 'now', VARIADIC mods text[] DEFAULT '{}') RETURNS timestamptz
LANGUAGE sql STABLE AS $$ SELECT _sqlite.time_of(v, mods) $$;
CREATE OR REPLACE FUNCTION _sqlite.datetime(v timestamptz, VARIADIC mods text[] DEFAULT '{}') RETURNS timestamptz
LANGUAGE sql STABLE AS $$ SELECT _sqlite.time_of(v, mods) $$;
CREATE OR REPLACE FUNCTION _sqlite.datetime(v float8, VARIADIC mods text[] DEFAULT '{}') RETURNS timestamptz
LANGUAGE sql STABLE AS $$ SELECT _sqlite.time_of(v, mods) $$;

-- date(value, modifiers…): the day, as a date.
CREATE OR REPLACE FUNCTION _sqlite.date(v text, VARIADIC mods text[] DEFAULT '{}') RETURNS date
LANGUAGE sql STABLE AS $$ SELECT (_sqlite.time_of(v, mods) AT TIME ZONE 'UTC')::date $$;
CREATE OR REPLACE FUNCTION _sqlite.date(v float8, VARIADIC mods text[] DEFAULT '{}') RETURNS date
LANGUAGE sql STABLE AS $$ SELECT (_sqlite.time_of(v, mods) AT TIME ZONE 'UTC')::date $$;

-- julianday and unixepoch.
CREATE OR REPLACE FUNCTION _sqlite.julianday(v text DEFAULT 'now', VARIADIC mods text[] DEFAULT '{}') RETURNS float8
LANGUAGE sql STABLE AS $$ SELECT extract(epoch FROM _sqlite.time_of(v, mods))::float8 / 86400 + 2440587.5 $$;
CREATE OR REPLACE FUNCTION _sqlite.julianday(v timestamptz, VARIADIC mods text[] DEFAULT '{}') RETURNS float8
LANGUAGE sql STABLE AS $$ SELECT extract(epoch FROM _sqlite.time_of(v, mods))::float8 / 86400 + 2440587.5 $$;
CREATE OR REPLACE FUNCTION _sqlite.unixepoch(v text DEFAULT 'now', VARIADIC mods text[] DEFAULT '{}') RETURNS bigint
LANGUAGE sql STABLE AS $$ SELECT floor(extract(epoch FROM _sqlite.time_of(v, mods)))::bigint $$;
CREATE OR REPLACE FUNCTION _sqlite.unixepoch(v timestamptz, VARIADIC mods text[] DEFAULT '{}') RETURNS bigint
LANGUAGE sql STABLE AS $$ SELECT floor(extract(epoch FROM _sqlite.time_of(v, mods)))::bigint $$;

-- strftime(format, value, modifiers…) with SQLite's conversions: %d %e %f
-- %F %H %I %j %J %k %l %m %M %p %P %R %s %S %T %u %w %W %y %Y %%.
CREATE OR REPLACE FUNCTION _sqlite.format_time(fmt text, t timestamptz) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    u timestamp := t AT TIME ZONE 'UTC';
    out text := '';
    i int := 1;
    c text;
BEGIN
    IF fmt IS NULL OR t IS NULL THEN
        RETURN NULL;
    END IF;
    WHILE i <= length(fmt) LOOP
        c := substr(fmt, i, 1);
        IF c <> '%' OR i = length(fmt) THEN
            out := out || c;
            i := i + 1;
            CONTINUE;
        END IF;
        c := substr(fmt, i + 1, 1);
        out := out || CASE c
            WHEN 'd' THEN to_char(u, 'DD')
            WHEN 'e' THEN lpad(extract(day FROM u)::int::text, 2, ' ')
            WHEN 'f' THEN to_char(u, 'SS.MS')
            WHEN 'F' THEN to_char(u, 'YYYY-MM-DD')
            WHEN 'H' THEN to_char(u, 'HH24')
            WHEN 'I' THEN to_char(u, 'HH12')
            WHEN 'j' THEN to_char(u, 'DDD')
            WHEN 'J' THEN (extract(epoch FROM t)::float8 / 86400 + 2440587.5)::text
            WHEN 'k' THEN lpad(extract(hour FROM u)::int::text, 2, ' ')
            WHEN 'l' THEN lpad(to_char(u, 'FMHH12'), 2, ' ')
            WHEN 'm' THEN to_char(u, 'MM')
            WHEN 'M' THEN to_char(u, 'MI')
            WHEN 'p' THEN to_char(u, 'AM')
            WHEN 'P' THEN lower(to_char(u, 'AM'))
            WHEN 'R' THEN to_char(u, 'HH24:MI')
            WHEN 's' THEN floor(extract(epoch FROM t))::bigint::text
            WHEN 'S' THEN to_char(u, 'SS')
            WHEN 'T' THEN to_char(u, 'HH24:MI:SS')
            WHEN 'u' THEN extract(isodow FROM u)::int::text
            WHEN 'w' THEN extract(dow FROM u)::int::text
            WHEN 'W' THEN lpad(((extract(doy FROM u)::int + 6 - ((extract(dow FROM u)::int + 6) % 7)) / 7)::text, 2, '0')
            WHEN 'y' THEN to_char(u, 'YY')
            WHEN 'Y' THEN to_char(u, 'YYYY')
            WHEN '%' THEN '%'
            ELSE NULL
        END;
        IF out IS NULL THEN
            RETURN NULL; -- a conversion SQLite does not know
        END IF;
        i := i + 2;
    END LOOP;
    RETURN out;
END $$;

CREATE OR REPLACE FUNCTION _sqlite.strftime(fmt text, v text DEFAULT 'now', VARIADIC mods text[] DEFAULT '{}') RETURNS text
LANGUAGE sql STABLE AS $$ SELECT _sqlite.format_time(fmt, _sqlite.time_of(v, mods)) $$;
CREATE OR REPLACE FUNCTION _sqlite.strftime(fmt text, v timestamptz, VARIADIC mods text[] DEFAULT '{}') RETURNS text
LANGUAGE sql STABLE AS $$ SELECT _sqlite.format_time(fmt, _sqlite.time_of(v, mods)) $$;
CREATE OR REPLACE FUNCTION _sqlite.strftime(fmt text, v float8, VARIADIC mods text[] DEFAULT '{}') RETURNS text
LANGUAGE sql STABLE AS $$ SELECT _sqlite.format_time(fmt, _sqlite.time_of(v, mods)) $$;

-- json_extract(json, path): the value at a path such as '$.a.b[0]' as
-- text (strings unquoted, other values as JSON), NULL when absent.
CREATE OR REPLACE FUNCTION _sqlite.json_path(path text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    out text[] := '{}';
    m text[];
BEGIN
    IF path IS NULL OR left(path, 1) <> '$' THEN
        RETURN NULL;
    END IF;
    FOR m IN SELECT regexp_matches(substr(path, 2), '\.("([^"]*)"|([^.\[]+))|\[([0-9]+)\]', 'g') LOOP
        out := out || coalesce(m[2], m[3], m[4]);
    END LOOP;
    RETURN out;
END $$;
CREATE OR REPLACE FUNCTION _sqlite.json_extract(j jsonb, path text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT j #>> _sqlite.json_path(path) $$;
CREATE OR REPLACE FUNCTION _sqlite.json_extract(j text, path text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN j::jsonb #>> _sqlite.json_path(path);
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;

-- group_concat(value[, separator]) and json_group_array(value).
CREATE OR REPLACE FUNCTION _sqlite.concat_step(acc text, v anynonarray, sep text DEFAULT ',') RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN v IS NULL THEN acc WHEN acc IS NULL THEN v::text ELSE acc || sep || v::text END $$;
CREATE OR REPLACE FUNCTION _sqlite.concat_step1(acc text, v anynonarray) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT _sqlite.concat_step(acc, v, ',') $$;
CREATE OR REPLACE FUNCTION _sqlite.json_array_step(acc jsonb, v anyelement) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT acc || jsonb_build_array(v) $$;
DO $$
BEGIN
    IF to_regprocedure('_sqlite.group_concat(anynonarray)') IS NULL THEN
        CREATE AGGREGATE _sqlite.group_concat(anynonarray) (SFUNC = _sqlite.concat_step1, STYPE = text);
    END IF;
    IF to_regprocedure('_sqlite.group_concat(anynonarray, text)') IS NULL THEN
        CREATE AGGREGATE _sqlite.group_concat(anynonarray, text) (SFUNC = _sqlite.concat_step, STYPE = text);
    END IF;
    IF to_regprocedure('_sqlite.json_group_array(anyelement)') IS NULL THEN
        CREATE AGGREGATE _sqlite.json_group_array(anyelement) (SFUNC = _sqlite.json_array_step, STYPE = jsonb, INITCOND = '[]');
    END IF;
    IF to_regprocedure('_sqlite.total(float8)') IS NULL THEN
        CREATE AGGREGATE _sqlite.total(float8) (SFUNC = float8pl, STYPE = float8, INITCOND = '0');
    END IF;
END $$;

-- Small scalar functions.
CREATE OR REPLACE FUNCTION _sqlite.ifnull(a anycompatible, b anycompatible) RETURNS anycompatible
LANGUAGE sql IMMUTABLE AS $$ SELECT coalesce(a, b) $$;
CREATE OR REPLACE FUNCTION _sqlite.iif(c boolean, a anycompatible, b anycompatible) RETURNS anycompatible
LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN c THEN a ELSE b END $$;
CREATE OR REPLACE FUNCTION _sqlite.instr(a text, b text) RETURNS int
LANGUAGE sql IMMUTABLE AS $$ SELECT strpos(a, b) $$;
CREATE OR REPLACE FUNCTION _sqlite.round(v float8, digits int) RETURNS float8
LANGUAGE sql IMMUTABLE AS $$ SELECT round(v::numeric, digits)::float8 $$;
CREATE OR REPLACE FUNCTION _sqlite.max(a anycompatible, b anycompatible) RETURNS anycompatible
LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN a IS NULL OR b IS NULL THEN NULL ELSE greatest(a, b) END $$;
CREATE OR REPLACE FUNCTION _sqlite.min(a anycompatible, b anycompatible) RETURNS anycompatible
LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN a IS NULL OR b IS NULL THEN NULL ELSE least(a, b) END $$;

-- SQLite compares across types where PostgreSQL refuses: booleans are the
-- integers 0 and 1 (verified = 1), dates are text (created > '2024-01-01',
-- created > strftime(...)), and numbers compare with numeric text
-- (json_extract(data, '$.n') > 5). These operators exist only for those
-- type pairs, so they never change a comparison PostgreSQL already makes.
CREATE OR REPLACE FUNCTION _sqlite.bool_int(a boolean, b int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT a::int - b $$;
CREATE OR REPLACE FUNCTION _sqlite.int_bool(a int, b boolean) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT a - b::int $$;
CREATE OR REPLACE FUNCTION _sqlite.num(v text) RETURNS float8
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN v::float8;
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION _sqlite.time_text(a timestamptz, b text) RETURNS interval LANGUAGE sql STABLE AS $$ SELECT a - _sqlite.time_of(b, '{}') $$;
CREATE OR REPLACE FUNCTION _sqlite.text_time(a text, b timestamptz) RETURNS interval LANGUAGE sql STABLE AS $$ SELECT _sqlite.time_of(a, '{}') - b $$;
CREATE OR REPLACE FUNCTION _sqlite.text_num(a text, b float8) RETURNS float8 LANGUAGE sql IMMUTABLE AS $$ SELECT _sqlite.num(a) - b $$;
CREATE OR REPLACE FUNCTION _sqlite.num_text(a float8, b text) RETURNS float8 LANGUAGE sql IMMUTABLE AS $$ SELECT a - _sqlite.num(b) $$;

-- One comparison function per operator and type pair, from the
-- differences above.
DO $$
DECLARE
    pair record;
    op record;
    fn text;
BEGIN
    FOR pair IN SELECT * FROM (VALUES
        ('boolean', 'int', '_sqlite.bool_int', 'int', '0'),
        ('int', 'boolean', '_sqlite.int_bool', 'int', '0'),
        ('timestamptz', 'text', '_sqlite.time_text', 'interval', 'interval ''0'''),
        ('text', 'timestamptz', '_sqlite.text_time', 'interval', 'interval ''0'''),
        ('text', 'float8', '_sqlite.text_num', 'float8', '0'),
        ('float8', 'text', '_sqlite.num_text', 'float8', '0')
    ) AS p(l, r, diff, dtype, zero) LOOP
        FOR op IN SELECT * FROM (VALUES ('=', 'eq'), ('<>', 'ne'), ('<', 'lt'), ('<=', 'le'), ('>', 'gt'), ('>=', 'ge')) AS o(sym, name) LOOP
            fn := format('_sqlite.%s_%s_%s', op.name, replace(pair.l, ' ', '_'), replace(pair.r, ' ', '_'));
            EXECUTE format('CREATE OR REPLACE FUNCTION %s(a %s, b %s) RETURNS boolean LANGUAGE sql STABLE AS $f$ SELECT %s(a, b) %s %s $f$',
                fn, pair.l, pair.r, pair.diff, op.sym, pair.zero);
            IF NOT EXISTS (
                SELECT 1 FROM pg_operator o
                WHERE o.oprname = op.sym AND o.oprnamespace = '_sqlite'::regnamespace
                  AND o.oprleft = pair.l::regtype AND o.oprright = pair.r::regtype
            ) THEN
                EXECUTE format('CREATE OPERATOR _sqlite.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = %s)', op.sym, pair.l, pair.r, fn);
            END IF;
        END LOOP;
    END LOOP;
END $$;
