// The Prometheus metrics of one API instance, in a registry of its own (tests run several
// instances in one process). Every name starts with testapp_.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Database } from "./db/database.js";

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

  constructor(database: Database) {
    database.statements.onStatement(() => this.sqlStatements.inc());
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
