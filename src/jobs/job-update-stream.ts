// The stream behind one jobUpdated subscription: the job as it is now, then each newer change,
// ending after the job's final state. A plain iterator rather than an async generator: a
// generator parked at an `await` inside its loop only sees return() at its next yield, so a
// client that disconnected kept the subscription (and its work) alive until the job moved.
// Here return() ends the stream at once and runs `onEnd` exactly once.
import type { JobSnapshot } from "./job-events.js";
import { isFinalStatus } from "./job-status.js";

const sameState = (a: JobSnapshot, b: JobSnapshot) =>
  a.updatedAt.getTime() === b.updatedAt.getTime() &&
  a.status === b.status &&
  a.progress === b.progress &&
  a.recordsDone === b.recordsDone;

export class JobUpdateStream implements AsyncIterableIterator<JobSnapshot> {
  private readonly queued: JobSnapshot[] = [];
  private waiting: ((result: IteratorResult<JobSnapshot>) => void) | null = null;
  /** The job reached a final state: end once the queue is drained. */
  private final = false;
  private ended = false;

  constructor(
    private last: JobSnapshot,
    private readonly onEnd: () => void,
  ) {
    this.deliver(last);
  }

  /** A snapshot from the event bus: passed on if it is newer and differs from the last one. */
  offer(next: JobSnapshot): void {
    if (this.ended || this.final) return;
    if (next.updatedAt.getTime() < this.last.updatedAt.getTime() || sameState(next, this.last)) return;
    this.last = next;
    this.deliver(next);
  }

  private deliver(snapshot: JobSnapshot): void {
    if (isFinalStatus(snapshot.status)) this.final = true;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value: snapshot, done: false });
    } else {
      this.queued.push(snapshot);
    }
    // Nothing follows a final state: stop listening now, not when the client asks again.
    if (this.final) this.end();
  }

  next(): Promise<IteratorResult<JobSnapshot>> {
    const value = this.queued.shift();
    if (value) return Promise.resolve({ value, done: false });
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** The consumer is gone (client disconnect, server shutdown): stop at once. */
  return(): Promise<IteratorResult<JobSnapshot>> {
    this.queued.length = 0;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    const resolve = this.waiting;
    this.waiting = null;
    resolve?.({ value: undefined, done: true });
    this.onEnd();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
