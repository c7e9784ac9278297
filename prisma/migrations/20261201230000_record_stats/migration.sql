-- Dashboard statistics (Query.recordStats) without scanning a customer's records: per-customer
-- rollups that the database itself keeps in step with every write, in the writing transaction.
--
-- Why triggers: every writer (GraphQL mutations, the sync worker, the seed, tests writing straight
-- through Prisma, a psql session, writers not yet written) goes through them; none can forget.
--
-- How, in two steps, so that a customer's writers never wait long on each other:
-- 1. Statement-level AFTER triggers with transition tables turn each statement's changed rows
--    into a few deltas (one per customer × category × month, per customer for attachments, per
--    customer × month × status for jobs) and append them to "StatsDelta". One trigger call per
--    statement, whatever its size: a 100,000-record seed adds a few dozen delta rows.
-- 2. A deferred constraint trigger applies the transaction's deltas to the rollup tables at
--    COMMIT, summed, in key order, and deletes them.
-- A rollup row is therefore locked only for the last moment of a writing transaction (its commit),
-- not from its first write on, as it would be if the statement triggers updated the rollups
-- directly: a sync page transaction would otherwise hold its categories' rows while it works, and
-- since every transaction takes rollup locks at commit in one order (table, then key), two writers
-- can no longer deadlock on them. Writes of one customer that touch the same rollup rows still
-- commit one after the other, for that moment only; other customers never share a rollup row.
--
-- Jobs are counted by the month they were created in and their status now. Removing finished
-- jobs (JOB_RETENTION_DAYS) does not take them out of the statistics: the history outlives the
-- rows, so "jobs per status" over a year means the year's jobs, not the last week's.
--
-- Tenant data like the rest: composite keys that start with customerId, the tenant scope
-- (src/db/tenant-scope.ts) and the row-level security policies below. The trigger functions
-- run as the writer (SECURITY INVOKER): under ROW_LEVEL_SECURITY=on a request can only ever
-- touch its own customer's rollups, even through a trigger.

-- Writers wait until the rollups are filled and the triggers in place: no write falls between.
LOCK TABLE "Record", "Attachment", "CollectionJob" IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE "RecordStatsByCategory" (
    "customerId" UUID NOT NULL,
    "categoryCode" TEXT NOT NULL,
    "records" BIGINT NOT NULL,

    CONSTRAINT "RecordStatsByCategory_pkey" PRIMARY KEY ("customerId", "categoryCode")
);

-- "month": the first day of the UTC calendar month of the records' createdDate.
CREATE TABLE "RecordStatsByMonth" (
    "customerId" UUID NOT NULL,
    "month" DATE NOT NULL,
    "records" BIGINT NOT NULL,

    CONSTRAINT "RecordStatsByMonth_pkey" PRIMARY KEY ("customerId", "month")
);

CREATE TABLE "AttachmentStats" (
    "customerId" UUID NOT NULL,
    "attachments" BIGINT NOT NULL,
    "bytes" BIGINT NOT NULL,

    CONSTRAINT "AttachmentStats_pkey" PRIMARY KEY ("customerId")
);

-- "month": the first day of the UTC calendar month the jobs were created in.
CREATE TABLE "JobStatsByMonth" (
    "customerId" UUID NOT NULL,
    "month" DATE NOT NULL,
    "status" "JobStatus" NOT NULL,
    "jobs" BIGINT NOT NULL,

    CONSTRAINT "JobStatsByMonth_pkey" PRIMARY KEY ("customerId", "month", "status")
);

ALTER TABLE "RecordStatsByCategory" ADD CONSTRAINT "RecordStatsByCategory_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "RecordStatsByMonth" ADD CONSTRAINT "RecordStatsByMonth_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "AttachmentStats" ADD CONSTRAINT "AttachmentStats_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "JobStatsByMonth" ADD CONSTRAINT "JobStatsByMonth_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- A transaction's deltas, from its statements until its commit (no row here is ever committed,
-- so nobody else ever sees one). UNLOGGED: rows that never outlive their transaction need no WAL.
-- No foreign key: deleting a customer deletes its records, whose deltas are then dropped at commit.
-- kind 'records': categoryCode, month, records; 'attachments': attachments, bytes;
-- 'jobs': month, jobStatus, jobs.
CREATE UNLOGGED TABLE "StatsDelta" (
    "transactionId" XID8 NOT NULL DEFAULT pg_current_xact_id(),
    "customerId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "categoryCode" TEXT,
    "month" DATE,
    "jobStatus" "JobStatus",
    "records" BIGINT NOT NULL DEFAULT 0,
    "attachments" BIGINT NOT NULL DEFAULT 0,
    "bytes" BIGINT NOT NULL DEFAULT 0,
    "jobs" BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX "StatsDelta_transactionId_idx" ON "StatsDelta"("transactionId");

CREATE FUNCTION "utc_month"(at TIMESTAMPTZ) RETURNS DATE
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT date_trunc('month', at AT TIME ZONE 'UTC')::date $$;

-- Step 1, one trigger call per statement. (A trigger with transition tables has one event, hence
-- three triggers per table sharing one function.)
CREATE FUNCTION "stage_record_stats"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO "StatsDelta" ("customerId", "kind", "categoryCode", "month", "records")
    SELECT "customerId", 'records', "categoryCode", "utc_month"("createdDate"), count(*)
    FROM new_rows GROUP BY 1, 3, 4;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO "StatsDelta" ("customerId", "kind", "categoryCode", "month", "records")
    SELECT "customerId", 'records', "categoryCode", "utc_month"("createdDate"), -count(*)
    FROM old_rows GROUP BY 1, 3, 4;
  ELSE
    -- Only a change of category or month counts; a title edit adds no delta (and takes no lock).
    INSERT INTO "StatsDelta" ("customerId", "kind", "categoryCode", "month", "records")
    SELECT "customerId", 'records', "categoryCode", "utc_month"("createdDate"), sum(change)
    FROM (
      SELECT "customerId", "categoryCode", "createdDate", -1 AS change FROM old_rows
      UNION ALL
      SELECT "customerId", "categoryCode", "createdDate", 1 FROM new_rows
    ) AS changes
    GROUP BY 1, 3, 4 HAVING sum(change) <> 0;
  END IF;
  RETURN NULL;
END;
$$;

CREATE FUNCTION "stage_attachment_stats"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO "StatsDelta" ("customerId", "kind", "attachments", "bytes")
    SELECT "customerId", 'attachments', count(*), sum("sizeBytes") FROM new_rows GROUP BY 1;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO "StatsDelta" ("customerId", "kind", "attachments", "bytes")
    SELECT "customerId", 'attachments', -count(*), -sum("sizeBytes") FROM old_rows GROUP BY 1;
  ELSE
    INSERT INTO "StatsDelta" ("customerId", "kind", "attachments", "bytes")
    SELECT "customerId", 'attachments', sum(change), sum(change * "sizeBytes")
    FROM (
      SELECT "customerId", "sizeBytes"::bigint, -1 AS change FROM old_rows
      UNION ALL
      SELECT "customerId", "sizeBytes"::bigint, 1 FROM new_rows
    ) AS changes
    GROUP BY 1 HAVING sum(change) <> 0 OR sum(change * "sizeBytes") <> 0;
  END IF;
  RETURN NULL;
END;
$$;

-- No DELETE trigger: removing old jobs keeps them in the history (see the top).
CREATE FUNCTION "stage_job_stats"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO "StatsDelta" ("customerId", "kind", "month", "jobStatus", "jobs")
    SELECT "customerId", 'jobs', "utc_month"("createdAt"), "status", count(*)
    FROM new_rows GROUP BY 1, 3, 4;
  ELSE
    -- Progress updates add no delta; a status change moves the job from one count to another.
    INSERT INTO "StatsDelta" ("customerId", "kind", "month", "jobStatus", "jobs")
    SELECT "customerId", 'jobs', "utc_month"("createdAt"), "status", sum(change)
    FROM (
      SELECT "customerId", "createdAt", "status", -1 AS change FROM old_rows
      UNION ALL
      SELECT "customerId", "createdAt", "status", 1 FROM new_rows
    ) AS changes
    GROUP BY 1, 3, 4 HAVING sum(change) <> 0;
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER "Record_stats_insert" AFTER INSERT ON "Record"
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "stage_record_stats"();
CREATE TRIGGER "Record_stats_update" AFTER UPDATE ON "Record"
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "stage_record_stats"();
CREATE TRIGGER "Record_stats_delete" AFTER DELETE ON "Record"
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "stage_record_stats"();

CREATE TRIGGER "Attachment_stats_insert" AFTER INSERT ON "Attachment"
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "stage_attachment_stats"();
CREATE TRIGGER "Attachment_stats_update" AFTER UPDATE ON "Attachment"
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "stage_attachment_stats"();
CREATE TRIGGER "Attachment_stats_delete" AFTER DELETE ON "Attachment"
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "stage_attachment_stats"();

CREATE TRIGGER "CollectionJob_stats_insert" AFTER INSERT ON "CollectionJob"
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "stage_job_stats"();
CREATE TRIGGER "CollectionJob_stats_update" AFTER UPDATE ON "CollectionJob"
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "stage_job_stats"();

-- TRUNCATE fires no row or statement triggers of the kinds above: start the counts over.
CREATE FUNCTION "reset_stats_on_truncate"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'Record' THEN
    DELETE FROM "RecordStatsByCategory";
    DELETE FROM "RecordStatsByMonth";
  ELSE
    DELETE FROM "AttachmentStats";
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER "Record_stats_truncate" AFTER TRUNCATE ON "Record"
FOR EACH STATEMENT EXECUTE FUNCTION "reset_stats_on_truncate"();
CREATE TRIGGER "Attachment_stats_truncate" AFTER TRUNCATE ON "Attachment"
FOR EACH STATEMENT EXECUTE FUNCTION "reset_stats_on_truncate"();

-- Step 2, at COMMIT: the transaction's deltas, summed, applied in the order every transaction
-- locks rollup rows in (table by table, each in key order). The first call of a transaction
-- applies them all; the calls for its other delta rows find none left. Deltas of a customer
-- deleted in the same transaction are dropped. A count that falls to zero keeps its row (one per
-- category or month ever used); reads leave zeros out. API instances hear of changed job counts
-- (NOTIFY record_stats_changed): records and attachments are evicted from their caches by the
-- writers that change them, jobs change in workers on their own.
CREATE FUNCTION "apply_stats_deltas"() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  current_transaction CONSTANT XID8 := pg_current_xact_id();
  changed_customer UUID;
BEGIN
  INSERT INTO "RecordStatsByCategory" AS s ("customerId", "categoryCode", "records")
  SELECT d."customerId", d."categoryCode", sum(d."records")
  FROM "StatsDelta" d
  WHERE d."transactionId" = current_transaction AND d."kind" = 'records'
    AND EXISTS (SELECT 1 FROM "Customer" c WHERE c."id" = d."customerId")
  GROUP BY 1, 2 HAVING sum(d."records") <> 0 ORDER BY 1, 2
  ON CONFLICT ("customerId", "categoryCode") DO UPDATE SET "records" = s."records" + excluded."records";

  INSERT INTO "RecordStatsByMonth" AS s ("customerId", "month", "records")
  SELECT d."customerId", d."month", sum(d."records")
  FROM "StatsDelta" d
  WHERE d."transactionId" = current_transaction AND d."kind" = 'records'
    AND EXISTS (SELECT 1 FROM "Customer" c WHERE c."id" = d."customerId")
  GROUP BY 1, 2 HAVING sum(d."records") <> 0 ORDER BY 1, 2
  ON CONFLICT ("customerId", "month") DO UPDATE SET "records" = s."records" + excluded."records";

  INSERT INTO "AttachmentStats" AS s ("customerId", "attachments", "bytes")
  SELECT d."customerId", sum(d."attachments"), sum(d."bytes")
  FROM "StatsDelta" d
  WHERE d."transactionId" = current_transaction AND d."kind" = 'attachments'
    AND EXISTS (SELECT 1 FROM "Customer" c WHERE c."id" = d."customerId")
  GROUP BY 1 HAVING sum(d."attachments") <> 0 OR sum(d."bytes") <> 0 ORDER BY 1
  ON CONFLICT ("customerId") DO UPDATE
    SET "attachments" = s."attachments" + excluded."attachments", "bytes" = s."bytes" + excluded."bytes";

  FOR changed_customer IN
    INSERT INTO "JobStatsByMonth" AS s ("customerId", "month", "status", "jobs")
    SELECT d."customerId", d."month", d."jobStatus", sum(d."jobs")
    FROM "StatsDelta" d
    WHERE d."transactionId" = current_transaction AND d."kind" = 'jobs'
      AND EXISTS (SELECT 1 FROM "Customer" c WHERE c."id" = d."customerId")
    GROUP BY 1, 2, 3 HAVING sum(d."jobs") <> 0 ORDER BY 1, 2, 3
    ON CONFLICT ("customerId", "month", "status") DO UPDATE SET "jobs" = s."jobs" + excluded."jobs"
    RETURNING s."customerId"
  LOOP
    -- Identical notifications of one transaction are delivered once.
    PERFORM pg_notify('record_stats_changed', changed_customer::text);
  END LOOP;

  DELETE FROM "StatsDelta" WHERE "transactionId" = current_transaction;
  RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER "StatsDelta_apply" AFTER INSERT ON "StatsDelta"
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "apply_stats_deltas"();

-- The rollups of the data already there (the triggers above see every write from here on).
INSERT INTO "RecordStatsByCategory" ("customerId", "categoryCode", "records")
SELECT "customerId", "categoryCode", count(*) FROM "Record" GROUP BY 1, 2;
INSERT INTO "RecordStatsByMonth" ("customerId", "month", "records")
SELECT "customerId", "utc_month"("createdDate"), count(*) FROM "Record" GROUP BY 1, 2;
INSERT INTO "AttachmentStats" ("customerId", "attachments", "bytes")
SELECT "customerId", count(*), sum("sizeBytes") FROM "Attachment" GROUP BY 1;
INSERT INTO "JobStatsByMonth" ("customerId", "month", "status", "jobs")
SELECT "customerId", "utc_month"("createdAt"), "status", count(*) FROM "CollectionJob" GROUP BY 1, 2, 3;

-- Row-level security, as for the other tenant tables (20261130040000_row_level_security): the
-- tenant role reads its customer's rollups and, through the triggers it sets off, writes them.
GRANT SELECT, INSERT, UPDATE ON "RecordStatsByCategory", "RecordStatsByMonth", "AttachmentStats", "JobStatsByMonth" TO testapp_tenant;
GRANT SELECT, INSERT, DELETE ON "StatsDelta" TO testapp_tenant;

DO $$
DECLARE
  tbl text;
BEGIN
  FOREACH tbl IN ARRAY ARRAY['RecordStatsByCategory', 'RecordStatsByMonth', 'AttachmentStats', 'JobStatsByMonth', 'StatsDelta'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', tbl);
    EXECUTE format('CREATE POLICY "tenant_isolation" ON %I TO testapp_tenant USING ("customerId" = "current_customer_id"()) WITH CHECK ("customerId" = "current_customer_id"())', tbl);
    EXECUTE format('CREATE POLICY "owner_access" ON %I TO %I USING (true) WITH CHECK (true)', tbl, current_user);
  END LOOP;
END
$$;
