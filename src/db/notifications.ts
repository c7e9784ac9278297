// PostgreSQL LISTEN/NOTIFY for events that cross processes (job progress, user changes):
// a NOTIFY sent inside a transaction is delivered only when it commits, to every process
// listening on that database. PostgreSQL: one dedicated connection outside the pool,
// re-established (and re-LISTENed) after it drops. Embedded: PGlite's own listen().
import pg from "pg";
import type { Database } from "./database.js";

export type NotificationHandler = (payload: string) => void;

export interface Notifications {
  /** Calls `handler` for each notification on `channel`; the returned function stops it. */
  listen(channel: string, handler: NotificationHandler): Promise<() => Promise<void>>;
  /**
   * Calls `handler` each time listening resumes after the connection dropped: notifications sent
   * meanwhile are lost, so a listener that keeps state re-reads it then (not on a timer).
   */
  onReconnect(handler: () => void): () => void;
  close(): Promise<void>;
}

const channelPattern = /^[a-z_][a-z0-9_]*$/;

function checkChannel(channel: string): void {
  if (!channelPattern.test(channel)) throw new Error(`invalid channel name ${channel}`);
}

export function createNotifications(db: Database, url?: string): Notifications {
  if (db.pglite) return embeddedNotifications(db);
  if (!url) throw new Error("LISTEN over the wire needs the database URL");
  return postgresNotifications(url);
}

function embeddedNotifications(db: Database): Notifications {
  const pglite = db.pglite!;
  const stops = new Set<() => Promise<void>>();
  return {
    async listen(channel, handler) {
      checkChannel(channel);
      const unlisten = await pglite.listen(channel, handler);
      // CLI commands talking to this process's embedded database through its socket.
      const unlistenSocket = db.socketNotifications?.subscribe((from, payload) => from === channel && handler(payload));
      const stop = async () => {
        stops.delete(stop);
        unlistenSocket?.();
        if (!pglite.closed) await unlisten();
      };
      stops.add(stop);
      return stop;
    },
    // One in-process instance: there is no connection to lose.
    onReconnect: () => () => {},
    async close() {
      await Promise.all([...stops].map((stop) => stop()));
    },
  };
}

function postgresNotifications(url: string): Notifications {
  const handlers = new Map<string, Set<NotificationHandler>>();
  const reconnectHandlers = new Set<() => void>();
  let connectedBefore = false;
  let client: pg.Client | null = null;
  let connecting: Promise<pg.Client> | null = null;
  let closed = false;

  const connect = (): Promise<pg.Client> => {
    if (client) return Promise.resolve(client);
    connecting ??= (async () => {
      const next = new pg.Client({ connectionString: url, application_name: "testapp-listener" });
      next.on("notification", (message) => {
        for (const handler of handlers.get(message.channel) ?? []) handler(message.payload ?? "");
      });
      next.on("error", () => reconnectLater());
      next.on("end", () => reconnectLater());
      await next.connect();
      for (const channel of handlers.keys()) await next.query(`LISTEN ${channel}`);
      client = next;
      if (connectedBefore) for (const handler of reconnectHandlers) handler();
      connectedBefore = true;
      return next;
    })().finally(() => {
      connecting = null;
    });
    return connecting;
  };

  let retryTimer: NodeJS.Timeout | null = null;
  const reconnectLater = () => {
    client = null;
    if (closed || retryTimer) return;
    // Notifications sent while disconnected are lost; listeners must tolerate gaps
    // (job followers re-read their jobs on reconnect, caches expire).
    retryTimer = setTimeout(() => {
      retryTimer = null;
      connect().catch(reconnectLater);
    }, 1_000);
  };

  return {
    async listen(channel, handler) {
      checkChannel(channel);
      const isNewChannel = !handlers.has(channel);
      if (isNewChannel) handlers.set(channel, new Set());
      handlers.get(channel)!.add(handler);
      const connection = await connect();
      if (isNewChannel) await connection.query(`LISTEN ${channel}`);
      return async () => {
        const set = handlers.get(channel);
        set?.delete(handler);
        if (set && set.size === 0) {
          handlers.delete(channel);
          await client?.query(`UNLISTEN ${channel}`).catch(() => {});
        }
      };
    },
    onReconnect(handler) {
      reconnectHandlers.add(handler);
      return () => reconnectHandlers.delete(handler);
    },
    async close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      const current = client;
      client = null;
      await current?.end().catch(() => {});
    },
  };
}
