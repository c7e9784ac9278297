// Requests per minute, per customer (verified token) or per client address (no valid token).
// In memory on one instance; in Redis when REDIS_URL is set, so that every instance counts
// against the same budget. Should Redis fail, each instance falls back to counting in its own
// memory (rate-limiter-flexible's insurance limiter) instead of refusing or waving everyone through.
import { Redis } from "ioredis";
import type { Logger } from "pino";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { Config } from "../config.js";

export type RateLimitSubject = { kind: "customer"; customerId: string } | { kind: "address"; address: string };

/** null: allowed; otherwise how long until the next request would be. */
export type RateLimitVerdict = { retryAfterSeconds: number } | null;

const WINDOW_SECONDS = 60;

export class RequestRateLimiter {
  private constructor(
    private readonly perCustomer: RateLimiterAbstract | null,
    private readonly perAddress: RateLimiterAbstract | null,
    private readonly redis: Redis | null,
  ) {}

  static create(config: Pick<Config, "rateLimit" | "redisUrl" | "redisKeyPrefix">, logger: Logger): RequestRateLimiter {
    const { perMinute, anonymousPerMinute } = config.rateLimit;
    const redis =
      config.redisUrl && (perMinute > 0 || anonymousPerMinute > 0)
        ? new Redis(config.redisUrl, {
            // A request must not wait for Redis to come back: fail fast into the insurance limiter.
            enableOfflineQueue: false,
            maxRetriesPerRequest: 1,
            connectTimeout: 2_000,
          })
        : null;
    redis?.on("error", (error) => logger.warn({ err: error }, "rate limit store (Redis) error"));
    const limiter = (name: string, points: number): RateLimiterAbstract | null => {
      if (points === 0) return null;
      const keyPrefix = `${config.redisKeyPrefix}rate:${name}`;
      const memory = new RateLimiterMemory({ keyPrefix, points, duration: WINDOW_SECONDS });
      if (!redis) return memory;
      return new RateLimiterRedis({
        storeClient: redis,
        keyPrefix,
        points,
        duration: WINDOW_SECONDS,
        rejectIfRedisNotReady: true,
        insuranceLimiter: memory,
      });
    };
    return new RequestRateLimiter(limiter("customer", perMinute), limiter("address", anonymousPerMinute), redis);
  }

  /** Resolves once the shared store answers (at once without Redis); until then each instance counts alone. */
  async storeReady(): Promise<void> {
    const redis = this.redis;
    if (!redis || redis.status === "ready") return;
    await new Promise<void>((resolve) => redis.once("ready", () => resolve()));
  }

  /** Counts one request of `subject`. */
  async consume(subject: RateLimitSubject): Promise<RateLimitVerdict> {
    const [limiter, key] =
      subject.kind === "customer" ? [this.perCustomer, subject.customerId] : [this.perAddress, subject.address];
    if (!limiter) return null;
    try {
      await limiter.consume(key);
      return null;
    } catch (outcome) {
      // rate-limiter-flexible rejects with a RateLimiterRes when the budget is spent.
      if (outcome instanceof RateLimiterRes) return { retryAfterSeconds: Math.max(1, Math.ceil(outcome.msBeforeNext / 1000)) };
      throw outcome;
    }
  }

  async close(): Promise<void> {
    const redis = this.redis;
    if (redis && redis.status !== "end") await redis.quit().catch(() => redis.disconnect());
  }
}
