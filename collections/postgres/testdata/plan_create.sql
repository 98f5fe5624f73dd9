-- Create table "posts".
CREATE TABLE "posts" (
    "id" text PRIMARY KEY,
    "title" text NOT NULL DEFAULT '',
    "body" text NOT NULL DEFAULT '',
    "views" double precision NOT NULL DEFAULT 0,
    "live" boolean NOT NULL DEFAULT false,
    "contact" text NOT NULL DEFAULT '',
    "site" text NOT NULL DEFAULT '',
    "when" timestamptz,
    "status" text NOT NULL DEFAULT '',
    "tags" text[] NOT NULL DEFAULT '{}',
    "meta" jsonb,
    "author" text,
    "editors" text[] NOT NULL DEFAULT '{}',
    "created" timestamptz,
    "updated" timestamptz
);
-- Record every change of "posts" records for realtime.
CREATE TRIGGER capture_changes AFTER INSERT OR UPDATE OR DELETE ON "posts" FOR EACH ROW EXECUTE FUNCTION _capture_change('pbc_posts00001');
-- Make "author" reference "authors".
ALTER TABLE "posts" ADD CONSTRAINT "fk_relation_author" FOREIGN KEY ("author") REFERENCES "authors" (id) ON DELETE CASCADE;
-- Index relation "author".
CREATE INDEX "rel_pbc_posts00001_relation_author" ON "posts" ("author");
-- Keep "editors" in step when "authors" records are deleted.
CREATE TRIGGER "mrel_pbc_posts00001_relation_editors" AFTER DELETE ON "authors" FOR EACH ROW EXECUTE FUNCTION _multi_relation_on_delete('posts', 'editors', 'remove');
-- Index relation "editors".
CREATE INDEX "rel_pbc_posts00001_relation_editors" ON "posts" USING gin ("editors");
-- Index "created" for the default order of records.
CREATE INDEX "ord_pbc_posts00001_autodate_created" ON "posts" ("created", id);
-- Create index "idx_title".
CREATE UNIQUE INDEX "idx_title" ON "posts" (lower("title"));
-- Create index "idx_views".
CREATE INDEX "idx_views" ON "posts" ("views" DESC, "live");
