// An upload streams: a 100 MB file sent to a real HTTP server (its own process) leaves the
// server's live memory (sampled after a forced GC every 50 ms) far below the file's size.
// Yoga's built-in multipart parser holds the whole file in memory, which this test would catch.
//
// A measurement, not a default test: memory moves with machine load, and the project checks
// memory with benchmarks that print figures. Run it with `npm run bench:upload-memory`.
import { type ChildProcess, spawn } from "node:child_process";
import http from "node:http";
import { Readable } from "node:stream";
import { encodeGlobalID } from "@pothos/plugin-relay";
import { afterAll, beforeAll, expect, test } from "vitest";
import { ADD_ATTACHMENT } from "./helpers/upload-request.js";

const FILE_BYTES = Number(process.env.UPLOAD_MEMORY_MB ?? 100) * 1024 * 1024;
const MiB = 1024 * 1024;
let child: ChildProcess;
let server: { port: number; token: string; recordId: string };

type MemoryReport = { now: NodeJS.MemoryUsage; peak: { rss: number; arrayBuffers: number } };

/** The server's memory now and its peaks since the previous call (which it resets). */
async function serverMemory(): Promise<MemoryReport> {
  return (await fetch(`http://127.0.0.1:${server.port}/__memory`)).json() as Promise<MemoryReport>;
}

/** A multipart body generated on the fly: the client holds one 1 MiB chunk at a time. */
function streamedUpload(size: number) {
  const boundary = "----upload-memory-test";
  const operations = JSON.stringify({
    query: ADD_ATTACHMENT,
    variables: { input: { recordId: encodeGlobalID("Record", server.recordId), file: null } },
  });
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${operations}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.input.file"]}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="big.bin"\r\n` +
      `Content-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const chunk = Buffer.alloc(MiB, 7);
  const body = Readable.from(
    (function* () {
      yield head;
      for (let sent = 0; sent < size; sent += MiB) yield chunk.subarray(0, Math.min(MiB, size - sent));
      yield tail;
    })(),
  );
  return { body, boundary, length: head.length + size + tail.length };
}

function upload(size: number): Promise<any> {
  const { body, boundary, length } = streamedUpload(size);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: "127.0.0.1",
        port: server.port,
        path: "/graphql",
        method: "POST",
        headers: {
          authorization: `Bearer ${server.token}`,
          "x-graphql-yoga-csrf": "1",
          "content-type": `multipart/form-data; boundary=${boundary}`,
          "content-length": String(length),
        },
      },
      (response) => {
        let text = "";
        response.on("data", (data) => (text += data));
        response.on("end", () => resolve(JSON.parse(text)));
      },
    );
    request.on("error", reject);
    body.pipe(request);
  });
}

const measuring = Boolean(process.env.MEASURE_UPLOAD_MEMORY);
if (!measuring) console.info("upload memory measurement skipped: run `npm run bench:upload-memory`");

beforeAll(async () => {
  if (!measuring) return;
  // node itself (not the tsx wrapper, which would be another process) so the pid is the server's.
  child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", "test/helpers/upload-memory-server.ts"], {
    env: { ...process.env, MAX_UPLOAD_BYTES: String(FILE_BYTES + MiB) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  server = await new Promise((resolve, reject) => {
    child.stdout!.once("data", (data) => resolve(JSON.parse(String(data))));
    child.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
  });
}, 60_000);
afterAll(() => {
  if (!measuring) return;
  child?.kill("SIGKILL");
});

test.skipIf(!measuring)("a 100 MB upload leaves the server's memory far below the file's size", async () => {
  // Warm up (JIT, pools, first-request allocations) so the delta is the upload's own.
  expect((await upload(64 * 1024)).errors).toBeUndefined();
  const { now: before } = await serverMemory();
  const result = await upload(FILE_BYTES);
  const { peak } = await serverMemory();
  expect(result.errors).toBeUndefined();
  expect(result.data.addAttachment.attachment.sizeBytes).toBe(FILE_BYTES);
  const mib = (bytes: number) => (bytes / MiB).toFixed(1);
  const buffersGrew = peak.arrayBuffers - before.arrayBuffers;
  console.log(
    `${FILE_BYTES / MiB} MiB upload: server RSS ${mib(before.rss)} MiB before, peak ${mib(peak.rss)} MiB ` +
      `(+${mib(peak.rss - before.rss)}); live buffers ${mib(before.arrayBuffers)} MiB before, peak ${mib(peak.arrayBuffers)} MiB (+${mib(buffersGrew)})`,
  );
  // Holding the file adds about FILE_BYTES: a variant that buffered (reading the raw node
  // request next to Yoga's own body stream) measured +96 MiB live for 100 MiB, so this
  // measure does catch buffering. With Yoga's read-ahead body limit in place, streaming still
  // grew with the file (+23 to +104 MiB); with backpressure end to end it measures +7 MiB for
  // 100 MiB and +8 MiB for 300 MiB: a constant, not a share of the file.
  expect(buffersGrew).toBeLessThan(32 * MiB);
  expect(peak.rss - before.rss).toBeLessThan(64 * MiB);
}, 120_000);
