-- @request.auth.roles is a list, and a list compared without :each is now
-- its JSON text, as PocketBase compares lists. Conditions written before
-- with an any-of operator on the roles ("@request.auth.roles ?= 'staff'")
-- meant "one of the roles is": they get :each, which keeps that meaning.
-- A condition whose new form exists already on the same policy is a
-- duplicate and goes.
DELETE FROM _casbin_rule r
WHERE r.ptype = 'p' AND r.v3 ~ '@request\.auth\.roles\s*\?'
  AND EXISTS (
    SELECT 1 FROM _casbin_rule o
    WHERE o.ptype = r.ptype AND o.v0 = r.v0 AND o.v1 = r.v1 AND o.v2 = r.v2 AND o.v4 = r.v4 AND o.v5 = r.v5
      AND o.v3 = regexp_replace(r.v3, '@request\.auth\.roles(\s*)\?', '@request.auth.roles:each\1?', 'g'));

--bun:split

UPDATE _casbin_rule
SET v3 = regexp_replace(v3, '@request\.auth\.roles(\s*)\?', '@request.auth.roles:each\1?', 'g')
WHERE ptype = 'p' AND v3 ~ '@request\.auth\.roles\s*\?';
