// Deleting files after their rows are gone. Called only once the database change has
// committed; a failure here is logged and left to the orphan sweep, never undone in the
// database (the row stays deleted).
import type { Logger } from "pino";
import type { FileStorage } from "./file-storage.js";

export async function deleteStoredFiles(
  storage: FileStorage,
  logger: Logger,
  keys: Array<string | null | undefined>,
): Promise<void> {
  const present = keys.filter((key): key is string => Boolean(key));
  if (present.length === 0) return;
  try {
    await storage.delete(present);
  } catch (error) {
    logger.warn({ err: error, keys: present }, "could not delete stored files; the orphan sweep will remove them");
  }
}
