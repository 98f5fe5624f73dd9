-- Delete every record of "posts". [0 record(s) will be deleted.]
DELETE FROM "posts";
-- Drop the maintenance trigger of "editors".
DROP TRIGGER IF EXISTS "mrel_pbc_posts00001_relation_editors" ON "authors";
-- Drop table "posts" with all its records. [0 record(s) will be deleted.]
DROP TABLE "posts";
