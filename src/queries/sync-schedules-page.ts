// One page of a customer's sync schedules, newest first, through the ORM.
import type { TenantScopedClient } from "../db/tenant-scope.js";
import type { SyncSchedule } from "../generated/prisma/client.js";
import type { Keyset } from "../pagination/keyset-sql.js";
import { prismaKeysetOrderBy, prismaKeysetWhere } from "../pagination/keyset-prisma.js";
import type { PageRequest } from "../pagination/page-request.js";

const scheduleOrder = { field: "createdAt", descending: true };

export async function fetchSyncSchedulePage(
  db: TenantScopedClient,
  options: { request: PageRequest<Keyset>; withTotal: boolean },
): Promise<{ rows: SyncSchedule[]; totalCount: number | null }> {
  const [rows, totalCount] = await Promise.all([
    db.syncSchedule.findMany({
      where: prismaKeysetWhere(scheduleOrder, options.request),
      orderBy: prismaKeysetOrderBy(scheduleOrder, options.request),
      take: options.request.limit + 1,
    }),
    options.withTotal ? db.syncSchedule.count() : null,
  ]);
  return { rows, totalCount };
}
