// What every resolver gets: the viewer, a database client that can only reach the viewer's
// customer, and fresh DataLoaders. Built once per request, after authentication.
import type { YogaInitialContext } from "graphql-yoga";
import type { Logger } from "pino";
import type { AttachmentService } from "./attachments/attachment-service.js";
import type { AccessTokens } from "./auth/access-tokens.js";
import { authenticate, type Viewer } from "./auth/authenticate.js";
import type { VerifiedUserCache } from "./auth/verified-user-cache.js";
import type { UserChangeFollower } from "./cache/follow-user-changes.js";
import type { ResponseCache } from "./cache/response-cache.js";
import type { DocumentCaches } from "./cache/document-caches.js";
import type { RecordChangeFollower } from "./cache/follow-record-changes.js";
import type { Config } from "./config.js";
import type { Database } from "./db/database.js";
import type { TenantScopedClient } from "./db/tenant-scope.js";
import type { JobService } from "./jobs/job-service.js";
import type { SyncScheduleService } from "./jobs/sync-schedules/schedule-service.js";
import type { LoaderOptions } from "./loaders/by-id-loader.js";
import { createLoaders, type Loaders } from "./loaders/index.js";
import type { CursorCodec } from "./pagination/cursor-codec.js";
import type { Metrics } from "./metrics.js";
import type { RecordService } from "./records/record-service.js";
import type { RequestRateLimiter } from "./rate-limit/request-rate-limiter.js";
import type { DownloadLinks } from "./storage/download-links.js";
import type { FileStorage } from "./storage/file-storage.js";
import { authenticationOf } from "./request/authentication.js";
import { requestIdOf, requestLogger } from "./request/request-id.js";

/** Long-lived collaborators, made once at start and shared by all requests. */
export type AppServices = {
  config: Config;
  database: Database;
  tokens: AccessTokens;
  cursors: CursorCodec;
  tenantDbFor: (customerId: string | undefined) => TenantScopedClient;
  loaderOptions: LoaderOptions;
  logger: Logger;
  /** Creating, changing and deleting records (src/records). */
  records: RecordService;
  /** Adding and removing records' files (src/attachments). */
  attachments: AttachmentService;
  /** Starting, cancelling and following background jobs (src/jobs). */
  jobs: JobService;
  /** Creating, pausing, resuming and deleting sync schedules (src/jobs/sync-schedules). */
  schedules: SyncScheduleService;
  /** Evict what a change made stale: mutations and jobs call it after they write. */
  responseCache: ResponseCache;
  /** Verified users, so that authentication (and a cache hit) needs no SQL. */
  users: VerifiedUserCache;
  /** Listens for user changes and evicts them from both caches. */
  userChanges: UserChangeFollower;
  recordChanges: RecordChangeFollower;
  metrics: Metrics;
  /** Yoga's parse and parse-error caches (bounded in bytes). */
  documentCaches: DocumentCaches;
  /** Requests per minute per customer or client address (memory or Redis). */
  rateLimiter: RequestRateLimiter;
  /** Attachment files: local disk or S3 (src/storage). */
  storage: FileStorage;
  /** Attachment.downloadUrl links and their signatures. */
  downloads: DownloadLinks;
};

/** What buildContext adds to Yoga's own context. */
export type RequestContext = {
  services: AppServices;
  viewer: Viewer | null;
  /** Why the sent token was refused; null when it was accepted or none was sent. */
  authFailure: string | null;
  tenantDb: TenantScopedClient;
  loaders: Loaders;
  /** The request id (x-request-id), also in every line `log` writes. */
  requestId: string | undefined;
  log: Logger;
};

export type Context = YogaInitialContext & RequestContext;

export async function buildContext(
  services: AppServices,
  request: Request,
): Promise<RequestContext> {
  // Authenticated already by useAuthentication (ahead of the response cache); the fallback
  // serves requests that plugin did not see.
  const { viewer, failure } =
    authenticationOf(request) ??
    (await authenticate(request.headers.get("authorization"), services.tokens, services.database.prisma, services.users));
  const db = services.tenantDbFor(viewer?.customer.id);
  const loaders = createLoaders(db, services.loaderOptions);
  if (viewer) {
    loaders.customerById.prime(viewer.customer.id, viewer.customer);
    loaders.userById.prime(viewer.user.id, viewer.user);
  }
  return {
    services,
    viewer,
    authFailure: failure,
    tenantDb: db,
    loaders,
    requestId: requestIdOf(request),
    log: requestLogger(request, services.logger),
  };
}
