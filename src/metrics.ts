// The Prometheus metrics of one API instance, in a registry of its own (tests run several
// instances in one process). Every name starts with testapp_.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Database } from "./db/database.js";
import type { QueueBacklog } from "./jobs/job-backlog.js";

/** Where the backlog gauges read from on each scrape, and the queues that report 0 when empty. */
export type JobBacklogSource = { read(): Promise<QueueBacklog[]>; queues: readonly string[] };

const PREFIX = "testapp_";
// Operation names come from clients: cap how many distinct ones become label values.
const MAX_OPERATION_NAMES = 200;
const operationNamePattern = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export class Metrics {
  readonly registry = new Registry();
  private readonly operationNames = new Set<string>();

  readonly requests = new Counter({
    name: `${PREFIX}graphql_requests_total`,
    help: "GraphQL requests answered, by operation name.",
    labelNames: ["operation_name"] as const,
    registers: [this.registry],
  });

  readonly requestDuration = new Histogram({
    name: `${PREFIX}graphql_request_duration_seconds`,
    help: "Time from receiving a GraphQL request to having its response, by operation name.",
    labelNames: ["operation_name"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly errors = new Counter({
    name: `${PREFIX}graphql_errors_total`,
    help: "GraphQL errors in responses, by extensions.code.",
    labelNames: ["code"] as const,
    registers: [this.registry],
  });

  readonly refusals = new Counter({
    name: `${PREFIX}graphql_refusals_total`,
    help: "Requests refused by a limit: depth, aliases, tokens, directives, cost, batch, body_size, rate, persisted_operations.",
    labelNames: ["limit"] as const,
    registers: [this.registry],
  });

  readonly sqlStatements = new Counter({
    name: `${PREFIX}sql_statements_total`,
    help: "SQL statements sent to the database (authentication, resolvers, jobs).",
    registers: [this.registry],
  });

  readonly cacheHits = new Counter({
    name: `${PREFIX}response_cache_hits_total`,
    help: "GraphQL queries answered from the response cache.",
    registers: [this.registry],
  });

  readonly cacheMisses = new Counter({
    name: `${PREFIX}response_cache_misses_total`,
    help: "Cacheable GraphQL queries that had to be executed.",
    registers: [this.registry],
  });

  readonly compiledQueries = new Counter({
    name: `${PREFIX}graphql_compiled_queries_total`,
    help: "Query documents compiled by graphql-jit (outcome compiled), or that it could not compile and graphql-js runs (not_compilable).",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });

  constructor(database: Database, jobBacklog?: JobBacklogSource) {
    database.statements.onStatement(() => this.sqlStatements.inc());
    if (jobBacklog) this.registerJobBacklog(jobBacklog);
    // Read at scrape time; the embedded database has no pool (one backend): it reports 0.
    new Gauge({
      name: `${PREFIX}db_pool_connections_in_use`,
      help: "Database connections checked out of the pool.",
      registers: [this.registry],
      collect() {
        this.set(database.poolStats()?.inUse ?? 0);
      },
    });
    new Gauge({
      name: `${PREFIX}db_pool_waiting_requests`,
      help: "Queries waiting for a free database connection.",
      registers: [this.registry],
      collect() {
        this.set(database.poolStats()?.waiting ?? 0);
      },
    });
    // Process memory, CPU, event loop lag, GC (testapp_process_*, testapp_nodejs_*).
    collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
  }

  /**
   * testapp_jobs_queued and testapp_jobs_queued_oldest_age_seconds, per queue (label `kind`),
   * both from one statement per scrape. When the statement fails the gauges have no samples:
   * an alarm on their absence fires, where zeros would read as "no backlog".
   */
  private registerJobBacklog(source: JobBacklogSource): void {
    // A scrape calls every collect() before any of them awaits: the second gauge's read joins the
    // first's statement in flight, and the next scrape starts a new one.
    let reading: Promise<QueueBacklog[] | null> | null = null;
    const read = () =>
      (reading ??= source
        .read()
        .catch(() => null)
        .finally(() => (reading = null)));
    const gauge = (name: string, help: string, value: (backlog: QueueBacklog) => number) =>
      new Gauge({
        name: `${PREFIX}${name}`,
        help,
        labelNames: ["kind"] as const,
        registers: [this.registry],
        async collect() {
          const backlog = await read();
          this.reset();
          if (!backlog) return;
          for (const queue of source.queues) this.set({ kind: queue }, 0);
          for (const each of backlog) this.set({ kind: each.queue }, value(each));
        },
      });
    gauge("jobs_queued", "Jobs ready to run that no worker has taken yet, by queue.", (each) => each.queued);
    gauge(
      "jobs_queued_oldest_age_seconds",
      "How long the oldest ready job of each queue has waited for a worker (0: none waiting).",
      (each) => each.oldestAgeSeconds,
    );
  }

  /** The label for a client-sent operation name: bounded in shape and in number. */
  operationLabel(operationName: string | null | undefined): string {
    if (!operationName) return "anonymous";
    if (!operationNamePattern.test(operationName)) return "invalid";
    if (this.operationNames.has(operationName)) return operationName;
    if (this.operationNames.size >= MAX_OPERATION_NAMES) return "other";
    this.operationNames.add(operationName);
    return operationName;
  }
}
