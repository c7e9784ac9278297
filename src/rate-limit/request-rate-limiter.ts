// Requests per minute, per customer (verified token) or per client address (no valid token).
// In memory on one instance; in Redis when REDIS_URL is set, so that every instance counts
// against the same budget. Should Redis be down or hang, each instance counts in its own
// memory (fail open to a per-instance limit) instead
// of refusing everyone or waving everyone through, and without waiting on Redis: it is skipped
// at once while down, and for REDIS_RETRY_AFTER_MS after a command fails or times out
// (src/redis/redis-availability.ts).
import { Redis } from "ioredis";
import type { Logger } from "pino";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { Config } from "../config.js";
import { failFastRedisOptions, RedisAvailability } from "../redis/redis-availability.js";

export type RateLimitSubject = { kind: "customer"; customerId: string } | { kind: "address"; address: string };

/** null: allowed; otherwise how long until the next request would be. */
export type RateLimitVerdict = { retryAfterSeconds: number } | null;

const WINDOW_SECONDS = 60;

// rate-limiter-flexible rejects with a RateLimiterRes when the budget is spent.
const verdictOf = (outcome: RateLimiterRes): RateLimitVerdict => ({
  retryAfterSeconds: Math.max(1, Math.ceil(outcome.msBeforeNext / 1000)),
});

/** One budget: counted in Redis when there is one (`shared`), else and meanwhile in `memory`. */
type Budget = { shared: RateLimiterAbstract | null; memory: RateLimiterAbstract };

export class RequestRateLimiter {
  private constructor(
    private readonly perCustomer: Budget | null,
    private readonly perAddress: Budget | null,
    private readonly redis: RedisAvailability | null,
  ) {}

  static create(
    config: Pick<Config, "rateLimit" | "redisUrl" | "redisKeyPrefix" | "redisCommandTimeoutMs" | "redisRetryAfterMs">,
    logger: Logger,
  ): RequestRateLimiter {
    const { perMinute, anonymousPerMinute } = config.rateLimit;
    const settings = { commandTimeoutMs: config.redisCommandTimeoutMs, retryAfterMs: config.redisRetryAfterMs };
    const client =
      config.redisUrl && (perMinute > 0 || anonymousPerMinute > 0)
        ? new Redis(config.redisUrl, { ...failFastRedisOptions(settings), enableOfflineQueue: false })
        : null;
    client?.on("error", (error) => logger.debug({ err: error }, "rate limit store (Redis) error"));
    const redis = client ? new RedisAvailability(client, settings, "rate limit", logger) : null;
    const budget = (name: string, points: number): Budget | null => {
      if (points === 0) return null;
      const keyPrefix = `${config.redisKeyPrefix}rate:${name}`;
      const memory = new RateLimiterMemory({ keyPrefix, points, duration: WINDOW_SECONDS });
      if (!client) return { shared: null, memory };
      const shared = new RateLimiterRedis({
        storeClient: client,
        keyPrefix,
        points,
        duration: WINDOW_SECONDS,
        rejectIfRedisNotReady: true,
      });
      return { shared, memory };
    };
    return new RequestRateLimiter(budget("customer", perMinute), budget("address", anonymousPerMinute), redis);
  }

  /** Resolves once the shared store answers (at once without Redis); until then each instance counts alone. */
  async storeReady(): Promise<void> {
    const redis = this.redis?.redis;
    if (!redis || redis.status === "ready") return;
    await new Promise<void>((resolve) => redis.once("ready", () => resolve()));
  }

  /** True while counts are kept per instance because Redis is skipped (down or failing). */
  get degraded(): boolean {
    return this.redis?.degraded ?? false;
  }

  /** Counts one request of `subject`. */
  async consume(subject: RateLimitSubject): Promise<RateLimitVerdict> {
    const [budget, key] =
      subject.kind === "customer" ? [this.perCustomer, subject.customerId] : [this.perAddress, subject.address];
    if (!budget) return null;
    if (budget.shared && (await this.redis!.usable())) {
      try {
        await budget.shared.consume(key);
        return null;
      } catch (outcome) {
        if (outcome instanceof RateLimiterRes) return verdictOf(outcome);
        // Redis failed or timed out: skip it for a while, and count this request in memory.
        this.redis!.failed(outcome);
      }
    }
    try {
      await budget.memory.consume(key);
      return null;
    } catch (outcome) {
      if (outcome instanceof RateLimiterRes) return verdictOf(outcome);
      throw outcome;
    }
  }

  async close(): Promise<void> {
    const redis = this.redis?.redis;
    if (redis && redis.status !== "end") await redis.quit().catch(() => redis.disconnect());
  }
}
