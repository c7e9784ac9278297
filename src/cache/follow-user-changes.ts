// Keeps both caches honest about users: on every committed change to a "User" row (the
// trigger of migration 20261130010000_user_change_notify), in this process or another, the
// verified-user cache forgets the user and the response cache drops their responses.
// Until the LISTEN is in place, users are not remembered at all (each request looks its
// user up), so a change can never be missed.
import type { Logger } from "pino";
import { followUserChanges, type VerifiedUserCache } from "../auth/verified-user-cache.js";
import type { Config } from "../config.js";
import type { Database } from "../db/database.js";
import { createNotifications } from "../db/notifications.js";
import { postgresUrlOf } from "../db/connection-url.js";
import type { ResponseCache } from "./response-cache.js";

const RETRY_MS = 5_000;

export type UserChangeFollower = {
  /** Resolves once changes are heard (and users are remembered). */
  ready: Promise<void>;
  stop(): Promise<void>;
};

export function startFollowingUserChanges(options: {
  config: Config;
  database: Database;
  users: VerifiedUserCache;
  responseCache: ResponseCache;
  logger: Logger;
}): UserChangeFollower {
  const { config, database, users, responseCache, logger } = options;
  if (config.userCacheTtlMs === 0) return { ready: Promise.resolve(), stop: async () => {} };
  const notifications = createNotifications(database, postgresUrlOf(config, database));
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;

  const onChange = (userId: string) => {
    users.forget(userId);
    responseCache.userChanged(userId).catch((error: unknown) => {
      logger.error({ err: error, userId }, "could not evict a changed user's cached responses");
    });
  };

  const ready = new Promise<void>((resolve) => {
    const attempt = () => {
      if (stopped) return resolve();
      followUserChanges(notifications, onChange).then(
        () => {
          users.activate();
          resolve();
        },
        (error: unknown) => {
          logger.warn({ err: error }, "cannot listen for user changes yet; users are looked up on every request");
          retry = setTimeout(attempt, RETRY_MS);
        },
      );
    };
    attempt();
  });

  return {
    ready,
    async stop() {
      stopped = true;
      clearTimeout(retry);
      users.deactivate();
      await notifications.close();
    },
  };
}
