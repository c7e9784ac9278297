// Counts every SQL statement a process sends, whoever sends it (Prisma, pg-boss's own pool and
// listener, the LISTEN client), the way PostgreSQL's statement log would see them:
// - PostgreSQL: a loopback proxy in front of the server that reads the frontend messages of the
//   wire protocol and counts each simple Query ('Q') and each Execute ('E') of the extended
//   protocol, i.e. what `log_statement = all` logs (pg_stat_statements is not loaded on these
//   machines, and changing the shared server's logging would touch everyone's databases).
// - Embedded PGlite: the same reader on every protocol message the instance executes (all of
//   PGlite's query paths, transactions included, go through execProtocolRawSync).
// Each statement's text (the Parse before an Execute) is kept for a breakdown.
import net from "node:net";
import type { PGlite } from "@electric-sql/pglite";

export class StatementLog {
  readonly statements: string[] = [];
  get count(): number {
    return this.statements.length;
  }
  /** Statements since `mark` (a count taken before). */
  since(mark: number): string[] {
    return this.statements.slice(mark);
  }
  /** The statements since `mark`, grouped by their first 80 characters, most first. */
  breakdown(mark = 0): Array<{ statement: string; count: number }> {
    const counts = new Map<string, number>();
    for (const text of this.since(mark)) {
      const key = text.replace(/\s+/g, " ").trim().slice(0, 80);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return [...counts].map(([statement, count]) => ({ statement, count })).sort((a, b) => b.count - a.count);
  }
  record(text: string): void {
    this.statements.push(text);
  }
}

const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;

/** Reads one connection's frontend messages as they stream by; calls `onStatement` for each Q and E. */
function frontendReader(onStatement: (text: string) => void, afterStartup = false) {
  let buffer = Buffer.alloc(0);
  let started = afterStartup; // before the startup message, messages carry no type byte
  let lastParsed = "";
  return (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      if (!started) {
        if (buffer.length < 8) return;
        const length = buffer.readInt32BE(0);
        if (buffer.length < length) return;
        const code = buffer.readInt32BE(4);
        if (code !== SSL_REQUEST && code !== GSS_REQUEST) started = true;
        buffer = buffer.subarray(length);
        continue;
      }
      if (buffer.length < 5) return;
      const type = String.fromCharCode(buffer[0]!);
      const length = buffer.readInt32BE(1);
      if (buffer.length < 1 + length) return;
      const body = buffer.subarray(5, 1 + length);
      if (type === "Q") onStatement(body.toString("utf8", 0, Math.max(0, body.length - 1)));
      if (type === "P") {
        const nameEnd = body.indexOf(0);
        const textEnd = body.indexOf(0, nameEnd + 1);
        lastParsed = body.toString("utf8", nameEnd + 1, textEnd);
      }
      if (type === "E") onStatement(lastParsed);
      buffer = buffer.subarray(1 + length);
    }
  };
}

export type CountingProxy = { url: string; log: StatementLog; close(): Promise<void> };

/** A proxy on 127.0.0.1 in front of the PostgreSQL of `databaseUrl`; connect to `url` instead. */
export async function startCountingProxy(databaseUrl: string): Promise<CountingProxy> {
  const target = new URL(databaseUrl);
  const log = new StatementLog();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    const read = frontendReader((text) => log.record(text));
    client.on("data", (chunk: Buffer) => {
      read(chunk);
      upstream.write(chunk);
    });
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  const url = new URL(databaseUrl);
  url.hostname = "127.0.0.1";
  url.port = String(port);
  return {
    url: url.toString(),
    log,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Counts the statements run on an embedded PGlite from now on, whoever runs them. */
export function countPgliteStatements(pglite: PGlite): StatementLog {
  const log = new StatementLog();
  const read = frontendReader((text) => log.record(text), true);
  const target = pglite as unknown as { execProtocolRawSync(message: Uint8Array): unknown };
  const original = target.execProtocolRawSync.bind(pglite);
  target.execProtocolRawSync = (message: Uint8Array) => {
    read(Buffer.from(message.buffer, message.byteOffset, message.byteLength));
    return original(message);
  };
  return log;
}
