// The app's log lines, parsed: pass `createLogger(level, capture)` as the services' logger.
import { Writable } from "node:stream";

export type LogLine = Record<string, unknown> & { level?: number; msg?: string; requestId?: string; err?: { message?: string; stack?: string } };

export class LogCapture extends Writable {
  readonly lines: LogLine[] = [];
  raw = "";
  override _write(chunk: Buffer, _encoding: string, done: () => void) {
    this.raw += chunk.toString();
    for (const line of chunk.toString().split("\n").filter(Boolean)) this.lines.push(JSON.parse(line));
    done();
  }
}
