// What the File scalar hands a resolver: a file part of the multipart request that may not
// have arrived yet. Execution starts as soon as `operations` and `map` are read, so the
// resolver can check permissions and the record before a single file byte is read.
import type { Readable } from "node:stream";
import { badUserInput } from "../errors.js";

export type IncomingFile = {
  /** As the client sent it: untrusted, sanitise before use. */
  filename: string;
  stream: Readable;
};

export class IncomingUpload {
  private settled = false;
  private readonly arrival: Promise<IncomingFile>;
  private resolveArrival!: (file: IncomingFile) => void;
  private rejectArrival!: (error: unknown) => void;
  /** Set once a resolver took the file; untaken files are drained when the response is sent. */
  taken = false;

  constructor(readonly fieldName: string) {
    this.arrival = new Promise((resolve, reject) => {
      this.resolveArrival = resolve;
      this.rejectArrival = reject;
    });
    // An upload no resolver asks for must not become an unhandled rejection.
    this.arrival.catch(() => {});
  }

  arrived(file: IncomingFile): void {
    if (this.settled) return void file.stream.resume();
    this.settled = true;
    this.resolveArrival(file);
  }

  failed(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.rejectArrival(error);
  }

  /** Waits for the file part; a resolver may take each file once. */
  take(): Promise<IncomingFile> {
    if (this.taken) return Promise.reject(badUserInput("Each uploaded file can be used once.", "file"));
    this.taken = true;
    return this.arrival;
  }

  /** Discards the file's bytes (if it arrives) so the rest of the request can be read. */
  discard(): void {
    this.taken = true;
    this.arrival.then((file) => file.stream.resume(), () => {});
  }

  /** Logs and cache keys see a placeholder, never the stream. */
  toJSON() {
    return { upload: this.fieldName };
  }
}
