// NOTIFYs sent by clients of the embedded database's socket (CLI commands such as db:seed while
// the server runs) must reach the server's listeners (response caches, user cache) like any
// other. PGlite hands a socket client's protocol output to the socket unparsed, so its own
// listen() never sees the NotificationResponse messages in it: they are read here, out of that
// output as it streams by, and handed to `SocketNotifications` subscribers.
import type { PGlite } from "@electric-sql/pglite";

export type SocketNotificationHandler = (channel: string, payload: string) => void;

export class SocketNotifications {
  private readonly handlers = new Set<SocketNotificationHandler>();

  subscribe(handler: SocketNotificationHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  emit(channel: string, payload: string): void {
    for (const handler of this.handlers) handler(channel, payload);
  }
}

type RawStreamOptions = Parameters<PGlite["execProtocolRawStream"]>[1];

/** The PGlite the socket server is given: the same database, its output also read for NOTIFYs. */
export function withSocketNotifications(pglite: PGlite, notifications: SocketNotifications): PGlite {
  return new Proxy(pglite, {
    get(target, property) {
      if (property === "execProtocolRawStream") {
        return (message: Uint8Array, options: RawStreamOptions) => {
          const reader = new NotificationReader(notifications);
          return target.execProtocolRawStream(message, {
            ...options,
            onRawData: (data) => {
              reader.push(data);
              options.onRawData(data);
            },
          });
        };
      }
      // PGlite keeps private (#) fields: its methods must run on the real instance.
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

const HEADER_BYTES = 5; // type (1) + length (4, counting itself)
const NOTIFICATION_RESPONSE = 0x41; // 'A': int32 pid, channel\0, payload\0

/** Follows the backend's message framing across chunks; keeps only notification bodies. */
class NotificationReader {
  private header = Buffer.alloc(HEADER_BYTES);
  private headerBytes = 0;
  private remaining = 0;
  private body: Buffer[] | null = null;

  constructor(private readonly notifications: SocketNotifications) {}

  push(data: Uint8Array): void {
    let offset = 0;
    while (offset < data.length) {
      if (this.headerBytes < HEADER_BYTES) {
        const take = Math.min(HEADER_BYTES - this.headerBytes, data.length - offset);
        this.header.set(data.subarray(offset, offset + take), this.headerBytes);
        this.headerBytes += take;
        offset += take;
        if (this.headerBytes < HEADER_BYTES) return;
        this.remaining = this.header.readInt32BE(1) - 4;
        this.body = this.header[0] === NOTIFICATION_RESPONSE ? [] : null;
      }
      const take = Math.min(this.remaining, data.length - offset);
      this.body?.push(Buffer.from(data.subarray(offset, offset + take)));
      this.remaining -= take;
      offset += take;
      if (this.remaining === 0) this.finishMessage();
    }
  }

  private finishMessage(): void {
    if (this.body) {
      const body = Buffer.concat(this.body);
      const channelEnd = body.indexOf(0, 4);
      const payloadEnd = body.indexOf(0, channelEnd + 1);
      if (channelEnd > 0 && payloadEnd > channelEnd) {
        this.notifications.emit(body.toString("utf8", 4, channelEnd), body.toString("utf8", channelEnd + 1, payloadEnd));
      }
    }
    this.headerBytes = 0;
    this.body = null;
  }
}
