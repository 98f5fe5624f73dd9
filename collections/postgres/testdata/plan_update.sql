-- Rename table "posts" to "articles".
ALTER TABLE "posts" RENAME TO "articles";
-- Drop index "idx_title".
DROP INDEX "idx_title";
-- Drop index "idx_views".
DROP INDEX "idx_views";
-- Drop field "site". [0 record(s) lose their "site" value.]
ALTER TABLE "articles" DROP COLUMN "site";
-- Drop the index of relation "author".
DROP INDEX IF EXISTS "rel_pbc_posts00001_relation_author";
-- Drop the foreign key of "author".
ALTER TABLE "articles" DROP CONSTRAINT IF EXISTS "fk_relation_author";
-- Drop the index of relation "editors".
DROP INDEX IF EXISTS "rel_pbc_posts00001_relation_editors";
-- Drop the maintenance trigger of "editors".
DROP TRIGGER IF EXISTS "mrel_pbc_posts00001_relation_editors" ON "authors";
-- Rename field "title" to "headline"; values are kept.
ALTER TABLE "articles" RENAME COLUMN "title" TO "headline";
-- Drop the default of "views" before converting it.
ALTER TABLE "articles" ALTER COLUMN "views" DROP DEFAULT;
-- Allow empty "views" values while converting.
ALTER TABLE "articles" ALTER COLUMN "views" DROP NOT NULL;
-- Convert field "views" from number to text.
ALTER TABLE "articles" ALTER COLUMN "views" TYPE text USING "views"::text;
-- Default "views" to the empty value.
ALTER TABLE "articles" ALTER COLUMN "views" SET DEFAULT '';
-- Require a value in "views".
ALTER TABLE "articles" ALTER COLUMN "views" SET NOT NULL;
-- Drop the default of "contact" before converting it.
ALTER TABLE "articles" ALTER COLUMN "contact" DROP DEFAULT;
-- Allow empty "contact" values while converting.
ALTER TABLE "articles" ALTER COLUMN "contact" DROP NOT NULL;
-- Convert field "contact" from email to number. [3 record(s) have "contact" values that cannot be converted to number.]
ALTER TABLE "articles" ALTER COLUMN "contact" TYPE double precision USING COALESCE(_try_float8(NULLIF("contact", '')), 0);
-- Default "contact" to the empty value.
ALTER TABLE "articles" ALTER COLUMN "contact" SET DEFAULT 0;
-- Require a value in "contact".
ALTER TABLE "articles" ALTER COLUMN "contact" SET NOT NULL;
-- Drop the default of "status" before converting it.
ALTER TABLE "articles" ALTER COLUMN "status" DROP DEFAULT;
-- Allow empty "status" values while converting.
ALTER TABLE "articles" ALTER COLUMN "status" DROP NOT NULL;
-- Convert field "status" from single select to multiple select.
ALTER TABLE "articles" ALTER COLUMN "status" TYPE text[] USING CASE WHEN "status" = '' THEN '{}'::text[] ELSE ARRAY["status"] END;
-- Default "status" to the empty value.
ALTER TABLE "articles" ALTER COLUMN "status" SET DEFAULT '{}';
-- Require a value in "status".
ALTER TABLE "articles" ALTER COLUMN "status" SET NOT NULL;
-- Drop the default of "editors" before converting it.
ALTER TABLE "articles" ALTER COLUMN "editors" DROP DEFAULT;
-- Allow empty "editors" values while converting.
ALTER TABLE "articles" ALTER COLUMN "editors" DROP NOT NULL;
-- Convert field "editors" from multiple relation to single relation.
ALTER TABLE "articles" ALTER COLUMN "editors" TYPE text USING "editors"[1];
-- Add field "rank".
ALTER TABLE "articles" ADD COLUMN "rank" double precision NOT NULL DEFAULT 0;
-- Make "author" reference "authors".
ALTER TABLE "articles" ADD CONSTRAINT "fk_relation_author" FOREIGN KEY ("author") REFERENCES "authors" (id) ON DELETE SET NULL;
-- Index relation "author".
CREATE INDEX "rel_pbc_posts00001_relation_author" ON "articles" ("author");
-- Make "editors" reference "authors".
ALTER TABLE "articles" ADD CONSTRAINT "fk_relation_editors" FOREIGN KEY ("editors") REFERENCES "authors" (id) ON DELETE SET NULL;
-- Index relation "editors".
CREATE INDEX "rel_pbc_posts00001_relation_editors" ON "articles" ("editors");
-- Create index "idx_title".
CREATE UNIQUE INDEX "idx_title" ON "articles" (lower("headline"));
-- Create index "idx_views".
CREATE INDEX "idx_views" ON "articles" ("live");
-- BLOCKED: 3 record(s) have "contact" values that cannot be converted to number; fix them or allow data loss.
