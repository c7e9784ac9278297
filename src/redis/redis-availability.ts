// Whether a request should use Redis right now, so that a Redis that is down or hanging costs
// a request nothing (issue 12, point 8). Each user of Redis (the response cache, the rate
// limiter) holds one over its own connection and decides what "skip" means for it.
//
// - Fail fast: commands time out after REDIS_COMMAND_TIMEOUT_MS (a hanging Redis), and while
//   the connection is down after having been up, a request skips Redis without trying.
// - A circuit: after a failure Redis is skipped for REDIS_RETRY_AFTER_MS, so a hanging Redis
//   costs one timeout per interval, not one per request.
// - `onReturn` listeners run when Redis is usable again after having been skipped, before
//   the first request uses it (the response cache drops what it could not evict meanwhile).
import { Redis, type RedisOptions } from "ioredis";
import type { Logger } from "pino";

export type RedisFailFastSettings = {
  /** How long one command may take before it counts as a failure. */
  commandTimeoutMs: number;
  /** How long Redis is skipped after a failure before it is tried again. */
  retryAfterMs: number;
};

export const DEFAULT_REDIS_FAIL_FAST: RedisFailFastSettings = { commandTimeoutMs: 500, retryAfterMs: 5_000 };

/** ioredis options for a connection that never makes a request wait long. */
export function failFastRedisOptions(settings: RedisFailFastSettings): RedisOptions {
  return {
    commandTimeout: settings.commandTimeoutMs,
    connectTimeout: Math.max(settings.commandTimeoutMs, 1_000),
    // One try per command: the caller falls back instead of waiting for reconnects.
    maxRetriesPerRequest: 0,
    // Reconnect quickly and keep trying, so a Redis that returns is used again within ~2 s.
    retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
  };
}

export class RedisAvailability {
  private skipUntil = 0;
  private wasSkipped = false;
  private everReady = false;
  private returning: Promise<void> | null = null;
  private readonly returnListeners: Array<() => Promise<void>> = [];

  constructor(
    readonly redis: Redis,
    private readonly settings: RedisFailFastSettings,
    private readonly name: string,
    private readonly logger?: Logger,
  ) {
    redis.on("ready", () => {
      this.everReady = true;
      // Reconnected: Redis is back, whatever the circuit said. Run the listeners now rather
      // than at the next request.
      this.skipUntil = 0;
      if (this.wasSkipped) void this.usable();
    });
    redis.on("close", () => {
      if (this.everReady) this.markSkipped();
    });
  }

  /** Runs `listener` (once per return) when Redis is usable again after having been skipped. */
  onReturn(listener: () => Promise<void>): void {
    this.returnListeners.push(listener);
  }

  /** True while requests skip Redis: down, failed recently, or still running its return listeners. */
  get degraded(): boolean {
    return this.wasSkipped || this.skipped();
  }

  /**
   * Whether a request may use Redis now. Before the first connection, commands wait in
   * ioredis's queue (bounded by the command timeout); after it, a down connection is skipped.
   */
  async usable(): Promise<boolean> {
    if (this.skipped()) return false;
    if (!this.wasSkipped) return true;
    // Redis is back: the return listeners run once, and requests skip Redis until they are done.
    // (.finally runs after the assignment even when the listeners finish synchronously.)
    this.returning ??= this.runReturnListeners().finally(() => {
      this.returning = null;
    });
    return false;
  }

  /** A command failed: skip Redis for a while. */
  failed(error: unknown): void {
    if (!this.skipped()) this.logger?.warn({ err: error }, `${this.name}: Redis failed; skipping it for ${this.settings.retryAfterMs} ms`);
    this.markSkipped();
    this.skipUntil = Date.now() + this.settings.retryAfterMs;
  }

  private skipped(): boolean {
    if (Date.now() < this.skipUntil) return true;
    return this.everReady && this.redis.status !== "ready";
  }

  private markSkipped(): void {
    this.wasSkipped = true;
  }

  private async runReturnListeners(): Promise<void> {
    try {
      for (const listener of this.returnListeners) await listener();
      this.wasSkipped = false;
      this.logger?.info(`${this.name}: Redis is back`);
    } catch (error) {
      this.failed(error);
    }
  }
}
