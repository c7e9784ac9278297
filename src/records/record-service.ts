// Creating, changing and deleting a customer's records. Each call goes permission → validation
// → the tenant-scoped client → stored-file clean-up → response-cache eviction (the record and
// the customer's lists, counts and lookups), so every writer of records gets all five steps;
// the GraphQL mutations (src/schema/record-mutations.ts) only pass their arguments through.
import type { Logger } from "pino";
import { z } from "zod";
import { requireWriter } from "../auth/permissions.js";
import type { Caller } from "../auth/viewer.js";
import type { ResponseCache } from "../cache/response-cache.js";
import { isMissingRow, isUniqueViolation } from "../db/prisma-errors.js";
import { badUserInput, notFound } from "../errors.js";
import type { Record as RecordRow } from "../generated/prisma/client.js";
import type { FileStorage } from "../storage/file-storage.js";
import { deleteStoredFiles } from "../storage/stored-file-cleanup.js";
import { requireNodeId } from "../validation/global-id.js";
import { nodeIdRule, validateInput } from "../validation/validate-input.js";
import { recordFieldRules } from "./record-field-rules.js";

/** createRecord's input as the client sent it (createdDate defaults to now). */
export type NewRecordInput = { referenceNumber: string; categoryCode: string; title: string; createdDate?: Date | null };
/** updateRecord's input: the record's global id; a field left out or null stays as it is. */
export type RecordChangeInput = {
  id: string;
  referenceNumber?: string | null;
  categoryCode?: string | null;
  title?: string | null;
  createdDate?: Date | null;
};

const createRecordSchema = z.object({ ...recordFieldRules, createdDate: recordFieldRules.createdDate.optional() });
const updateRecordSchema = z.object({ id: nodeIdRule("Record"), ...z.object(recordFieldRules).partial().shape });

function duplicateReference(referenceNumber: string | undefined) {
  return badUserInput(`A record with referenceNumber ${referenceNumber} already exists.`, "referenceNumber");
}

export class RecordService {
  constructor(
    private readonly collaborators: { responseCache: ResponseCache; storage: FileStorage; logger: Logger },
  ) {}

  async create(caller: Caller, input: NewRecordInput): Promise<RecordRow> {
    const viewer = requireWriter(caller.viewer);
    const data = validateInput(createRecordSchema, input);
    try {
      const record = await caller.tenantDb.record.create({
        data: { ...data, createdDate: data.createdDate ?? new Date() } as never,
      });
      await this.collaborators.responseCache.recordsChanged(viewer.customer.id, [record.id]);
      return record;
    } catch (error) {
      if (isUniqueViolation(error)) throw duplicateReference(data.referenceNumber);
      throw error;
    }
  }

  async update(caller: Caller, input: RecordChangeInput): Promise<RecordRow> {
    const viewer = requireWriter(caller.viewer);
    // null means "leave as is" for these non-nullable columns.
    const present = Object.fromEntries(Object.entries(input).filter(([, value]) => value != null));
    const { id, ...data } = validateInput(updateRecordSchema, present);
    try {
      const record = await caller.tenantDb.record.update({ where: { id }, data });
      await this.collaborators.responseCache.recordsChanged(viewer.customer.id, [record.id]);
      return record;
    } catch (error) {
      if (isMissingRow(error)) throw notFound("Record");
      if (isUniqueViolation(error)) throw duplicateReference(data.referenceNumber);
      throw error;
    }
  }

  /** Deletes the record with its attachments and their files; the deleted record's database id. */
  async delete(caller: Caller, input: { id: string }): Promise<string> {
    const viewer = requireWriter(caller.viewer);
    const id = requireNodeId(input.id, "Record", "id");
    // Attachments first, then the record, in one transaction: all or nothing. The stored
    // files' keys are collected inside it and the files deleted only after it commits.
    const { deleted, storageKeys } = await caller.tenantDb.$transaction(async (tx) => {
      const files = await tx.attachment.findMany({
        where: { recordId: id, storageKey: { not: null } },
        select: { storageKey: true },
      });
      await tx.attachment.deleteMany({ where: { recordId: id } });
      return { deleted: await tx.record.deleteMany({ where: { id } }), storageKeys: files.map((f) => f.storageKey) };
    });
    if (deleted.count === 0) throw notFound("Record");
    // Evict first: the rows are gone whatever happens to the files.
    const { responseCache, storage, logger } = this.collaborators;
    await responseCache.recordsChanged(viewer.customer.id, [id]);
    await deleteStoredFiles(storage, logger, storageKeys);
    return id;
  }
}
