// Only one process may open a PGlite folder. The process that opens it (the server)
// serves it over the PostgreSQL wire protocol on loopback and writes this lock file;
// CLI commands that run meanwhile (`token`, `db:seed`, `db:migrate`) connect through it.
import fs from "node:fs";
import path from "node:path";

export type EmbeddedServerLock = { pid: number; port: number };

const lockPath = (dataDir: string) => path.join(dataDir, "embedded-db.lock.json");

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The lock of a live process holding the folder, or undefined (a stale lock is removed). */
export function readEmbeddedServerLock(dataDir: string): EmbeddedServerLock | undefined {
  let lock: EmbeddedServerLock;
  try {
    lock = JSON.parse(fs.readFileSync(lockPath(dataDir), "utf8")) as EmbeddedServerLock;
  } catch {
    return undefined;
  }
  if (lock.pid !== process.pid && isProcessAlive(lock.pid)) return lock;
  fs.rmSync(lockPath(dataDir), { force: true });
  return undefined;
}

export function writeEmbeddedServerLock(dataDir: string, port: number): () => void {
  const file = lockPath(dataDir);
  fs.writeFileSync(file, JSON.stringify({ pid: process.pid, port } satisfies EmbeddedServerLock));
  return () => {
    const current = readEmbeddedServerLockRaw(file);
    if (current?.pid === process.pid) fs.rmSync(file, { force: true });
  };
}

function readEmbeddedServerLockRaw(file: string): EmbeddedServerLock | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as EmbeddedServerLock;
  } catch {
    return undefined;
  }
}
