-- Job progress that means something (issue 15): a job counts the records and pages it has
-- done, keeps the total its feed announces (a page's optional "total"), and `progress` is
-- records done / total, or NULL while the total is unknown, instead of a fraction made up
-- from the page count.
ALTER TABLE "CollectionJob"
  ALTER COLUMN "progress" DROP NOT NULL,
  ALTER COLUMN "progress" DROP DEFAULT,
  ADD COLUMN "recordsDone" INTEGER NOT NULL DEFAULT 0,
  ADD COLUMN "pagesDone" INTEGER NOT NULL DEFAULT 0,
  ADD COLUMN "recordsTotal" INTEGER;

-- Jobs already there: the counts from their checkpoints; an unfinished job's old fraction was
-- made up, so it becomes unknown (a succeeded job keeps 1).
UPDATE "CollectionJob"
   SET "recordsDone" = COALESCE(("checkpoint" ->> 'records')::integer, 0),
       "pagesDone" = COALESCE(("checkpoint" ->> 'pages')::integer, 0),
       "progress" = CASE WHEN "status" = 'SUCCEEDED' THEN 1 ELSE NULL END;
