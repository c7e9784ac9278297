-- Scheduled record syncs (Query.syncSchedules). A schedule's due runs become ordinary
-- CollectionJob rows that name it: one per schedule and due time (the unique index below), so
-- two workers that both find a run due cannot both start it.

CREATE TABLE "SyncSchedule" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "customerId" UUID NOT NULL,
    "sourceUrl" TEXT NOT NULL,
    "cron" TEXT NOT NULL,
    "timeZone" TEXT NOT NULL,
    "paused" BOOLEAN NOT NULL DEFAULT false,
    "nextRunAt" TIMESTAMPTZ(3),
    "lastRunAt" TIMESTAMPTZ(3),
    "lastJobId" UUID,
    "skippedRuns" INTEGER NOT NULL DEFAULT 0,
    "lastSkippedAt" TIMESTAMPTZ(3),
    "createdById" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SyncSchedule_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "SyncSchedule_customerId_id_key" ON "SyncSchedule"("customerId", "id");
CREATE INDEX "SyncSchedule_customerId_createdAt_id_idx" ON "SyncSchedule"("customerId", "createdAt", "id");
CREATE INDEX "SyncSchedule_nextRunAt_idx" ON "SyncSchedule"("nextRunAt");

ALTER TABLE "SyncSchedule" ADD CONSTRAINT "SyncSchedule_customerId_fkey"
    FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "CollectionJob" ADD COLUMN "scheduleId" UUID, ADD COLUMN "scheduledFor" TIMESTAMPTZ(3);
CREATE UNIQUE INDEX "CollectionJob_scheduleId_scheduledFor_key" ON "CollectionJob"("scheduleId", "scheduledFor");

-- Tenant data like the rest (20261130040000_row_level_security): with ROW_LEVEL_SECURITY=on,
-- request queries see only their customer's schedules.
GRANT SELECT, INSERT, UPDATE, DELETE ON "SyncSchedule" TO testapp_tenant;
ALTER TABLE "SyncSchedule" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "SyncSchedule" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "SyncSchedule" TO testapp_tenant
  USING ("customerId" = "current_customer_id"()) WITH CHECK ("customerId" = "current_customer_id"());
-- The owner (the migrating role: system code, the dispatcher) is not restricted; see there why.
DO $$
BEGIN
  EXECUTE format('CREATE POLICY "owner_access" ON "SyncSchedule" TO %I USING (true) WITH CHECK (true)', current_user);
END
$$;
