// Verified users, remembered for a short while so that a request (above all a response-cache
// hit) authenticates with no SQL at all. Every change to a "User" row evicts it at once: a
// database trigger NOTIFYs `user_changed` (migration 20261130010000_user_change_notify), and
// every process listening on that database forgets the user. The TTL only bounds the damage of
// a notification lost while the listener reconnects.
import { BoundedMap } from "../bounded-map.js";
import type { Notifications } from "../db/notifications.js";
import type { Viewer } from "./viewer.js";

export const USER_CHANGED_CHANNEL = "user_changed";

type Entry = { viewer: Viewer; expiresAt: number };

export class VerifiedUserCache {
  private readonly entries: BoundedMap<string, Entry>;
  // Bumped by every eviction: a lookup that started before one must not store what it read.
  private generation = 0;
  // Users are remembered only while changes are heard (see followUserChanges' caller).
  private trusted = false;

  constructor(
    private readonly ttlMs: number,
    maxEntries = 10_000,
  ) {
    this.entries = new BoundedMap(maxEntries);
  }

  get(userId: string, customerId: string): Viewer | undefined {
    const entry = this.entries.get(userId);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now() || entry.viewer.customer.id !== customerId) {
      this.entries.delete(userId);
      return undefined;
    }
    return entry.viewer;
  }

  /** Starts remembering users: call once user changes are being listened to. */
  activate(): void {
    this.trusted = true;
  }

  /** Call before the database lookup; pass the result to remember(). */
  startLookup(): number {
    return this.generation;
  }

  remember(viewer: Viewer, lookupGeneration: number): void {
    if (!this.trusted || this.ttlMs === 0 || lookupGeneration !== this.generation) return;
    this.entries.set(viewer.user.id, { viewer, expiresAt: Date.now() + this.ttlMs });
  }

  forget(userId: string): void {
    this.generation += 1;
    this.entries.delete(userId);
  }

  /** Forgets everyone and stops remembering: changes are no longer heard. */
  deactivate(): void {
    this.trusted = false;
    this.generation += 1;
    this.entries.clear();
  }
}

/**
 * Calls `onChange(userId)` for every changed or deleted user, in this process or another.
 * Resolves once listening; the returned function stops it.
 */
export function followUserChanges(
  notifications: Notifications,
  onChange: (userId: string) => void,
): Promise<() => Promise<void>> {
  return notifications.listen(USER_CHANGED_CHANNEL, (payload) => onChange(payload));
}
