// Files on local disk under <DATA_DIR>/files/<customerId>/<uuid>. The default backend: fine
// for one API instance; several instances need a shared backend (S3).
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { assertStorageKey, type FileStorage, type StoredFile } from "./file-storage.js";

export class LocalDiskStorage implements FileStorage {
  readonly kind = "local-disk" as const;

  constructor(private readonly root: string) {}

  private pathOf(key: string): string {
    assertStorageKey(key);
    return path.join(this.root, key);
  }

  async write(key: string, body: Readable, _options: { contentType: string }): Promise<void> {
    const file = this.pathOf(key);
    await fsp.mkdir(path.dirname(file), { recursive: true });
    try {
      // "wx": a key is written once; a clash is a bug, never an overwrite. Written in place,
      // not renamed: a half-written file has no row yet, so it is an orphan the sweep removes.
      await pipeline(body, fs.createWriteStream(file, { flags: "wx" }));
    } catch (error) {
      await fsp.rm(file, { force: true });
      throw error;
    }
  }

  async read(key: string): Promise<Readable | null> {
    try {
      const handle = await fsp.open(this.pathOf(key), "r");
      return handle.createReadStream();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
  }

  async delete(keys: string[]): Promise<void> {
    await Promise.all(keys.map((key) => fsp.rm(this.pathOf(key), { force: true })));
  }

  async *list(): AsyncIterable<StoredFile> {
    const customers = await fsp.readdir(this.root, { withFileTypes: true }).catch((error) => {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    });
    for (const customer of customers) {
      if (!customer.isDirectory()) continue;
      const folder = path.join(this.root, customer.name);
      for (const name of await fsp.readdir(folder)) {
        const key = `${customer.name}/${name}`;
        const stat = await fsp.stat(path.join(folder, name)).catch(() => null);
        if (stat?.isFile()) yield { key, lastModified: stat.mtime };
      }
    }
  }
}
