-- Convert field "spot" from json to geoPoint.
ALTER TABLE "spots" ALTER COLUMN "spot" TYPE jsonb USING COALESCE("spot", '{"lon":0,"lat":0}'::jsonb);
-- Default "spot" to the empty value.
ALTER TABLE "spots" ALTER COLUMN "spot" SET DEFAULT '{"lon":0,"lat":0}'::jsonb;
-- Require a value in "spot".
ALTER TABLE "spots" ALTER COLUMN "spot" SET NOT NULL;
-- Add field "at".
ALTER TABLE "spots" ADD COLUMN "at" jsonb NOT NULL DEFAULT '{"lon":0,"lat":0}'::jsonb;
-- Drop the default of "spot" before converting it.
ALTER TABLE "spots" ALTER COLUMN "spot" DROP DEFAULT;
-- Allow empty "spot" values while converting.
ALTER TABLE "spots" ALTER COLUMN "spot" DROP NOT NULL;
-- Convert field "spot" from geoPoint to json.
ALTER TABLE "spots" ALTER COLUMN "spot" TYPE jsonb USING "spot";
