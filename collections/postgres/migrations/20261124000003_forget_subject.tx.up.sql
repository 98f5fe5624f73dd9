-- Records of auth collections are access-control subjects
-- ("<collectionId>:<recordId>"). When one is deleted — through the API, a
-- cascade or plain SQL — its policies and role assignments go with it, so
-- that a later record given the same id inherits nothing. Installed by the
-- DDL planner on every auth collection table with TG_ARGV[0] = collection id.
CREATE FUNCTION _forget_subject() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM _casbin_rule WHERE v0 = TG_ARGV[0] || ':' || OLD.id;
    RETURN OLD;
END $$;
