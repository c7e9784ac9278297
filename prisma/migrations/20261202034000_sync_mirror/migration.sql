-- A sync that mirrors its feed (issue 16): syncRecords(input: { mirror: true }) deletes, at the
-- end of a complete run, the customer's records its feed did not list. The records a mirroring
-- sync saw are kept here, page by page in each page's transaction, so the run can be resumed
-- after a crash and still know them; the rows go once the run ends (or with the job).
ALTER TABLE "CollectionJob" ADD COLUMN "mirror" BOOLEAN NOT NULL DEFAULT false;

CREATE TABLE "SyncListedRecord" (
  "jobId" UUID NOT NULL,
  "recordId" UUID NOT NULL,
  CONSTRAINT "SyncListedRecord_pkey" PRIMARY KEY ("jobId", "recordId"),
  CONSTRAINT "SyncListedRecord_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "CollectionJob"("id") ON DELETE CASCADE ON UPDATE CASCADE,
  CONSTRAINT "SyncListedRecord_recordId_fkey" FOREIGN KEY ("recordId") REFERENCES "Record"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- Deleting a record looks up the rows that point at it.
CREATE INDEX "SyncListedRecord_recordId_idx" ON "SyncListedRecord"("recordId");
