// Concurrent writers of one customer and its rollup rows (PostgreSQL: PGlite runs one statement
// at a time, so nothing there is concurrent). The rollups are applied at COMMIT by a deferred
// trigger: an open transaction holds no rollup row, so another writer of the same customer and
// category is not kept waiting by it, the two cannot deadlock, and the counts stay exact.
import { randomUUID } from "node:crypto";
import { encodeGlobalID } from "@pothos/plugin-relay";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { groupBySnapshot, leftoverDeltas, rollupSnapshot } from "./helpers/record-stats-oracle.js";
import type { SeededCustomer, SeededUser } from "./helpers/seed.js";
import { startTestApp, type TestApp } from "./helpers/test-app.js";
import { usingPostgres } from "./helpers/test-database.js";
import { patternedBytes, uploadAttachment } from "./helpers/upload-request.js";

if (!usingPostgres) console.info("record-stats-concurrency.test.ts: skipped (set TEST_DATABASE_URL: PGlite runs one statement at a time)");

describe.skipIf(!usingPostgres)("concurrent writers of one customer", () => {
  let t: TestApp;
  let acme: SeededCustomer;
  let alice: SeededUser;

  beforeAll(async () => {
    t = await startTestApp();
    ({ customer: acme, admin: alice } = await t.seed.customerWithAdmin("Acme"));
  });
  afterAll(() => t.close());

  const updateRecord = `mutation($input: UpdateRecordInput!) { updateRecord(input: $input) { record { id } } }`;

  /**
   * T1, like a sync page: a statement that counts into CAT-A, a pause, then a statement on the
   * record T2 moves out of CAT-A through the API meanwhile. Returns how long T2 took while T1
   * was open (`holdMs` at most), and both outcomes. `applyAtOnce`: T1 applies its deltas at the
   * end of each statement, as a design whose statement triggers update the rollups would.
   */
  async function crossWriters(options: { applyAtOnce: boolean; holdMs: number }) {
    const crossed = await acme.record({ referenceNumber: `CROSSED-${randomUUID().slice(0, 6)}`, categoryCode: "CAT-A" });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let counted!: () => void;
    const firstCounted = new Promise<void>((resolve) => (counted = resolve));
    const first = t.db.prisma.$transaction(
      async (tx) => {
        if (options.applyAtOnce) await tx.$executeRaw`SET CONSTRAINTS "StatsDelta_apply" IMMEDIATE`;
        await tx.record.create({
          data: { customerId: acme.id, referenceNumber: `T1-${randomUUID().slice(0, 6)}`, categoryCode: "CAT-A", title: "t1", createdDate: new Date() },
        });
        counted();
        await released;
        await tx.record.update({ where: { id: crossed.id }, data: { categoryCode: "CAT-B" } });
      },
      { timeout: 30_000 },
    );
    await firstCounted;
    const started = performance.now();
    let secondDone = false;
    const second = t
      .gql(updateRecord, { token: alice.token, variables: { input: { id: encodeGlobalID("Record", crossed.id), categoryCode: "CAT-C" } } })
      .finally(() => (secondDone = true));
    await Promise.race([second, new Promise((resolve) => setTimeout(resolve, options.holdMs))]);
    const secondWaitedMs = performance.now() - started;
    const secondDoneWhileFirstOpen = secondDone;
    release();
    const [firstOutcome, secondOutcome] = await Promise.allSettled([first, second]);
    return { secondWaitedMs, secondDoneWhileFirstOpen, firstOutcome, secondOutcome };
  }

  test("an open transaction holds no rollup row: a writer of the same category goes ahead, and they do not deadlock", async () => {
    const { secondDoneWhileFirstOpen, secondWaitedMs, firstOutcome, secondOutcome } = await crossWriters({
      applyAtOnce: false,
      holdMs: 5_000,
    });
    expect(secondDoneWhileFirstOpen).toBe(true);
    expect(secondWaitedMs).toBeLessThan(5_000);
    expect(firstOutcome.status).toBe("fulfilled");
    expect(secondOutcome.status === "fulfilled" && secondOutcome.value.body.errors).toBeUndefined();
    expect(await rollupSnapshot(t.db, [acme.id])).toEqual(await groupBySnapshot(t.db, [acme.id]));
  });

  test("the control: applied at once, T2 waits for T1's rollup row, and the two deadlock", async () => {
    const { secondDoneWhileFirstOpen, firstOutcome, secondOutcome } = await crossWriters({ applyAtOnce: true, holdMs: 1_500 });
    expect(secondDoneWhileFirstOpen).toBe(false);
    // PostgreSQL breaks the deadlock by failing one of them (40P01); the API masks its error.
    const secondFailed = secondOutcome.status === "fulfilled" && secondOutcome.value.body.errors !== undefined;
    expect(firstOutcome.status === "rejected" || secondFailed).toBe(true);
    if (firstOutcome.status === "rejected") expect(String(firstOutcome.reason)).toMatch(/deadlock/i);
    // Whoever won, the rollups are still exact: the loser's deltas went with its rollback.
    expect(await rollupSnapshot(t.db, [acme.id])).toEqual(await groupBySnapshot(t.db, [acme.id]));
  });

  test("forty writers at once (records, category moves, deletes, attachments): no error, exact counts", async () => {
    const records = await acme.records(20, (index) => ({ referenceNumber: `BUSY-${index}`, categoryCode: `CAT-${index % 3}` }));
    const writes = records.flatMap((record, index) => [
      t.gql(`mutation($input: CreateRecordInput!) { createRecord(input: $input) { record { id } } }`, {
        token: alice.token,
        variables: { input: { referenceNumber: `BUSY-NEW-${index}`, categoryCode: `CAT-${index % 2}`, title: "busy" } },
      }),
      index % 4 === 0
        ? t.gql(`mutation($id: ID!) { deleteRecord(input: { id: $id }) { deletedRecordId } }`, {
            token: alice.token,
            variables: { id: encodeGlobalID("Record", record.id) },
          })
        : index % 4 === 1
          ? uploadAttachment(t, { token: alice.token, recordId: record.id, bytes: patternedBytes(100 + index) })
          : t.gql(updateRecord, {
              token: alice.token,
              variables: { input: { id: encodeGlobalID("Record", record.id), categoryCode: `CAT-${(index + 1) % 3}` } },
            }),
    ]);
    const responses = await Promise.all(writes);
    for (const response of responses) expect(response.body.errors).toBeUndefined();
    expect(await rollupSnapshot(t.db, [acme.id])).toEqual(await groupBySnapshot(t.db, [acme.id]));
    expect(await leftoverDeltas(t.db)).toBe(0);
  });
});
