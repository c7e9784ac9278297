// How far a sync has come. Saved with each page in the page's transaction, so an attempt that
// dies resumes exactly after the last committed page and the totals stay exact.
import type { Prisma } from "../../generated/prisma/client.js";
import type { PageChanges } from "./apply-record-page.js";
import type { FeedPage, Rejection } from "./feed-page.js";
import { type CycleProbe, startingProbe } from "./sync-bounds.js";

const MAX_REPORTED_REJECTIONS = 20;

export type SyncCheckpoint = {
  /** The cursor of the next page to read; null before the first page. */
  cursor: string | null;
  pages: number;
  records: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  /** The first few rejected records and why, for the user. */
  rejections: Rejection[];
  /** Feed response bytes read, and time spent running, over all attempts (sync-bounds.ts). */
  bytes: number;
  elapsedMs: number;
  /** Where the cursor cycle detector stands (sync-bounds.ts). */
  cycle: CycleProbe;
  /** The record total the feed announced last; null when it never did. */
  total: number | null;
  /** Attachments removed because their record's list dropped them; records removed by a mirroring sync. */
  attachmentsRemoved: number;
  recordsRemoved: number;
};

export const emptyCheckpoint: SyncCheckpoint = {
  cursor: null,
  pages: 0,
  records: 0,
  created: 0,
  updated: 0,
  unchanged: 0,
  rejected: 0,
  rejections: [],
  bytes: 0,
  elapsedMs: 0,
  cycle: startingProbe,
  total: null,
  attachmentsRemoved: 0,
  recordsRemoved: 0,
};

export function readCheckpoint(value: Prisma.JsonValue | null): SyncCheckpoint {
  if (!value || typeof value !== "object" || Array.isArray(value)) return emptyCheckpoint;
  return { ...emptyCheckpoint, ...(value as Partial<SyncCheckpoint>) };
}

/** What a page adds besides its records: its size, the time until it was committed, the cycle detector's step. */
export type PageCosts = { bytes: number; elapsedMs: number; cycle: CycleProbe; recordsRemoved: number };

export function advanceCheckpoint(state: SyncCheckpoint, page: FeedPage, changes: PageChanges, costs: PageCosts): SyncCheckpoint {
  return {
    cursor: page.nextCursor,
    pages: state.pages + 1,
    records: state.records + page.records.length + page.rejected.length,
    created: state.created + changes.created,
    updated: state.updated + changes.updated,
    unchanged: state.unchanged + changes.unchanged,
    rejected: state.rejected + page.rejected.length,
    rejections: [...state.rejections, ...page.rejected].slice(0, MAX_REPORTED_REJECTIONS),
    bytes: state.bytes + costs.bytes,
    elapsedMs: costs.elapsedMs,
    cycle: costs.cycle,
    // A feed may revise its total as it goes; the latest one it said counts.
    total: page.total ?? state.total,
    attachmentsRemoved: state.attachmentsRemoved + changes.attachmentsRemoved,
    recordsRemoved: state.recordsRemoved + costs.recordsRemoved,
  };
}

/**
 * The job's progress after a page: records done / the feed's total, never above 1; exactly 1
 * once the feed ended; null while the feed has not said its total (nothing to divide by, and
 * a fraction made up from pages would say nothing).
 */
export function progressAfter(state: SyncCheckpoint, finished: boolean): number | null {
  if (finished) return 1;
  if (state.total === null || state.total === 0) return null;
  return Math.min(state.records / state.total, 1);
}

/** The job's columns that show how far it is, after a page. */
export function jobProgress(state: SyncCheckpoint, finished: boolean) {
  return {
    progress: progressAfter(state, finished),
    recordsDone: state.records,
    pagesDone: state.pages,
    recordsTotal: state.total,
  };
}

/** The job's result as the API shows it. */
export function syncResult(state: SyncCheckpoint) {
  const { created, updated, unchanged, rejected, pages, rejections, attachmentsRemoved, recordsRemoved } = state;
  return { created, updated, unchanged, rejected, pages, rejections, attachmentsRemoved, recordsRemoved };
}

/**
 * True when `saved` is `state` advanced by `page`: that page's transaction has committed. The
 * checkpoint only moves in page transactions under one attempt's lease, so one more page than
 * `state`, ending at this page's cursor with this page's records, can only be this page.
 */
export function isPageApplied(saved: SyncCheckpoint, state: SyncCheckpoint, page: FeedPage): boolean {
  return (
    saved.pages === state.pages + 1 &&
    saved.cursor === page.nextCursor &&
    saved.records === state.records + page.records.length + page.rejected.length
  );
}
