// What one sync may cost, whatever the feed does: records (SYNC_MAX_RECORDS), pages
// (SYNC_MAX_PAGES), response bytes (SYNC_MAX_TOTAL_BYTES) and running time
// (SYNC_MAX_DURATION_SECONDS), all summed over its attempts in the checkpoint; and a feed
// whose cursors go round in a cycle (a, b, a, b, …), which would never end, is caught by
// Brent's cycle detection: constant state (one cursor hash and two counters) saved with each
// page, and a cycle of any length is found within about twice its start plus its length.
// Each is a PermanentJobError: the same feed would do the same again.
import { createHash } from "node:crypto";
import { PermanentJobError } from "../job-errors.js";

export type SyncBounds = { maxRecords: number; maxPages: number; maxTotalBytes: number; maxDurationSeconds: number };

/** The progress so far that the bounds are checked against (the checkpoint has these). */
type Spent = { pages: number; records: number; bytes: number };

/** Brent's detector: the cursor kept for comparison, the stretch length, and the steps into it. */
export type CycleProbe = { kept: string | null; power: number; steps: number };

export const startingProbe: CycleProbe = { kept: null, power: 1, steps: 0 };

// Cursors may be up to 2,000 characters: keep a digest of one, not the cursor.
const digest = (cursor: string) => createHash("sha256").update(cursor).digest("base64url").slice(0, 22);

/** Before a page is fetched: has the sync run out of time? */
export function checkTimeLeft(elapsedMs: number, bounds: SyncBounds): void {
  if (elapsedMs > bounds.maxDurationSeconds * 1000) {
    throw new PermanentJobError(
      `The sync ran for more than ${bounds.maxDurationSeconds} s, the most one sync may run (SYNC_MAX_DURATION_SECONDS).`,
    );
  }
}

/** A fetched page, before it is committed: would it take the sync past a bound? */
export function checkPageBounds(spent: Spent, page: { recordCount: number; bytes: number }, bounds: SyncBounds): void {
  if (spent.records + page.recordCount > bounds.maxRecords) {
    throw new PermanentJobError(
      `The feed holds more than ${bounds.maxRecords} records, the most one sync may read (SYNC_MAX_RECORDS).`,
    );
  }
  if (spent.pages + 1 > bounds.maxPages) {
    throw new PermanentJobError(`The feed has more than ${bounds.maxPages} pages, the most one sync may read (SYNC_MAX_PAGES).`);
  }
  if (spent.bytes + page.bytes > bounds.maxTotalBytes) {
    throw new PermanentJobError(
      `The feed's pages add up to more than ${bounds.maxTotalBytes} bytes, the most one sync may read (SYNC_MAX_TOTAL_BYTES).`,
    );
  }
}

/** The detector after the feed gave `nextCursor`; throws when that cursor closes a cycle. */
export function probeCursor(probe: CycleProbe, nextCursor: string | null): CycleProbe {
  if (nextCursor === null) return probe;
  const hash = digest(nextCursor);
  if (probe.kept === hash) {
    const shown = nextCursor.length > 60 ? `${nextCursor.slice(0, 60)}…` : nextCursor;
    throw new PermanentJobError(
      `The feed's cursors go round in a cycle: cursor "${shown}" came back ${probe.steps + 1} page(s) after it was given, so the sync would never end.`,
    );
  }
  const steps = probe.steps + 1;
  // Brent: at the end of each stretch keep the latest cursor and double the stretch.
  return steps === probe.power ? { kept: hash, power: probe.power * 2, steps: 0 } : { ...probe, steps };
}
