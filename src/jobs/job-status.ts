// Job states as the API shows them, and which of them are final.
import type { JobStatus } from "../generated/prisma/client.js";

const finalStatuses: ReadonlySet<JobStatus> = new Set(["SUCCEEDED", "FAILED", "CANCELLED"]);

export function isFinalStatus(status: JobStatus): boolean {
  return finalStatuses.has(status);
}
