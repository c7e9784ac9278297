// One page of a customer's collection jobs, newest first, through the ORM.
import type { TenantScopedClient } from "../db/tenant-scope.js";
import type { CollectionJob, JobStatus } from "../generated/prisma/client.js";
import type { Keyset } from "../pagination/keyset-sql.js";
import { prismaKeysetOrderBy, prismaKeysetWhere } from "../pagination/keyset-prisma.js";
import type { PageRequest } from "../pagination/page-request.js";

const jobOrder = { field: "createdAt", descending: true };

export async function fetchJobPage(
  db: TenantScopedClient,
  options: { status: JobStatus | null; request: PageRequest<Keyset>; withTotal: boolean },
): Promise<{ rows: CollectionJob[]; totalCount: number | null }> {
  const matching = options.status ? { status: options.status } : {};
  const [rows, totalCount] = await Promise.all([
    db.collectionJob.findMany({
      where: { ...matching, ...prismaKeysetWhere(jobOrder, options.request) },
      orderBy: prismaKeysetOrderBy(jobOrder, options.request),
      take: options.request.limit + 1,
    }),
    options.withTotal ? db.collectionJob.count({ where: matching }) : null,
  ]);
  return { rows, totalCount };
}
