// The response cache, attacked: it must never serve one session's answer to another, never
// serve a stale answer after a change, never serve anything to a refused request, and a hit
// must cost no SQL at all (authentication included).
import { randomUUID } from "node:crypto";
import { encodeGlobalID } from "@pothos/plugin-relay";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { SeededCustomer, SeededUser } from "./helpers/seed.js";
import { type GraphQLResponse, startTestApp, type TestApp } from "./helpers/test-app.js";

let t: TestApp;
let acme: SeededCustomer;
let globex: SeededCustomer;
let alice: SeededUser; // acme ADMIN
let carol: SeededUser; // acme VIEWER
let bob: SeededUser; // globex ADMIN

beforeAll(async () => {
  t = await startTestApp({ RESPONSE_CACHE_TTL_MS: "60000", RESPONSE_CACHE_METADATA: "true" });
  await t.services.userChanges.ready;
  ({ customer: acme, admin: alice } = await t.seed.customerWithAdmin("Acme"));
  ({ customer: globex, admin: bob } = await t.seed.customerWithAdmin("Globex"));
  carol = await acme.user({ role: "VIEWER" });
  await acme.records(3, (index) => ({ referenceNumber: `ACME-${index}`, title: `Acme ${index}` }));
  await globex.records(2, (index) => ({ referenceNumber: `GLOBEX-${index}`, title: `Globex ${index}` }));
});
afterAll(() => t.close());

const cacheInfo = (response: GraphQLResponse) =>
  (response.body as { extensions?: { responseCache?: { hit: boolean; didCache?: boolean } } }).extensions
    ?.responseCache;

/** Sends the query twice; the second answer must come from the cache with the same data. */
async function missThenHit(query: string, token: string) {
  const miss = await t.gql(query, { token });
  expect(miss.body.errors).toBeUndefined();
  expect(cacheInfo(miss)).toMatchObject({ hit: false, didCache: true });
  const hit = await t.gql(query, { token });
  expect(cacheInfo(hit)).toEqual({ hit: true });
  expect(hit.body.data).toEqual(miss.body.data);
  return miss.body.data;
}

const listQuery = `{ records(first: 50) { totalCount edges { node { id referenceNumber title attachmentCount } } } }`;
const references = (data: any): string[] => data.records.edges.map((edge: any) => edge.node.referenceNumber);

describe("sessions", () => {
  test("two customers sending byte-identical queries each get their own data, from their own entries", async () => {
    const query = `{ viewer { customer { slug } } records(first: 10) { totalCount edges { node { referenceNumber } } } }`;
    const forAlice = await missThenHit(query, alice.token);
    const forBob = await missThenHit(query, bob.token);
    expect(forAlice.viewer.customer.slug).toBe(acme.slug);
    expect(forBob.viewer.customer.slug).toBe(globex.slug);
    expect(references(forAlice).every((reference) => reference.startsWith("ACME-"))).toBe(true);
    expect(references(forBob).every((reference) => reference.startsWith("GLOBEX-"))).toBe(true);
    // And again, both now cached: still each their own.
    expect((await t.gql(query, { token: alice.token })).body.data).toEqual(forAlice);
    expect((await t.gql(query, { token: bob.token })).body.data).toEqual(forBob);
  });

  test("an ADMIN and a VIEWER of one customer do not share entries", async () => {
    const query = `{ viewer { user { id role } } }`;
    const forAlice = await missThenHit(query, alice.token);
    const forCarol = await t.gql(query, { token: carol.token });
    expect(cacheInfo(forCarol)).toMatchObject({ hit: false });
    expect(forAlice.viewer.user.role).toBe("ADMIN");
    expect(forCarol.body.data.viewer.user.role).toBe("VIEWER");
  });

  test("a bad token after a cached good one gets UNAUTHENTICATED, not the cached data", async () => {
    const query = `{ records(first: 5) { totalCount } }`;
    await missThenHit(query, alice.token);
    for (const authorization of [`Bearer ${alice.token}x`, "Bearer not-a-jwt", "Basic abc", undefined]) {
      const refused = await t.gql(query, { headers: authorization ? { authorization } : {} });
      expect(refused.status).toBe(401);
      expect(refused.body.data ?? null).toBeNull();
      expect(refused.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
      expect(cacheInfo(refused)).toBeUndefined();
    }
  });

  test("If-None-Match answers 304 only for the caller's own cached response", async () => {
    const query = `{ records(first: 7) { totalCount } }`;
    const aliceMiss = await t.gql(query, { token: alice.token });
    const etag = aliceMiss.headers.get("etag");
    expect(etag).toBeTruthy();
    const own = await t.app.fetch("http://yoga/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${alice.token}`, "if-none-match": etag! },
      body: JSON.stringify({ query }),
    });
    expect(own.status).toBe(304);
    // Bob sends Alice's ETag: no 304 (that would confirm her entry), his own data instead.
    const foreign = await t.app.fetch("http://yoga/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${bob.token}`, "if-none-match": etag! },
      body: JSON.stringify({ query }),
    });
    expect(foreign.status).toBe(200);
    expect((await foreign.json()).data.records.totalCount).toBe(2);
    // And without a token: UNAUTHENTICATED, not 304.
    const anonymous = await t.app.fetch("http://yoga/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", "if-none-match": etag! },
      body: JSON.stringify({ query }),
    });
    expect(anonymous.status).toBe(401);
  });
});

describe("statements", () => {
  test("a hit runs zero SQL statements, authentication included; the miss ran some", async () => {
    const query = `{ viewer { user { email } } records(first: 20) { totalCount edges { node { id attachmentCount } } } }`;
    const miss = await t.db.statements.measure(() => t.gql(query, { token: alice.token }));
    expect(cacheInfo(miss.result)).toMatchObject({ hit: false, didCache: true });
    const hit = await t.db.statements.measure(() => t.gql(query, { token: alice.token }));
    expect(cacheInfo(hit.result)).toEqual({ hit: true });
    expect(miss.statements).toBeGreaterThan(0); // the counter counts (positive control)
    expect(hit.statements).toBe(0);
    // A user never seen before: authentication adds its one lookup to the miss, once.
    const newcomer = await acme.user({ role: "VIEWER" });
    const cold = await t.db.statements.measure(() => t.gql(query, { token: newcomer.token }));
    expect(cold.statements).toBe(miss.statements + 1);
    console.log(`statements: cold miss ${cold.statements}, warm miss ${miss.statements}, hit ${hit.statements}`);
  });

  test("a disabled user is refused by the very next request, cached responses or not", async () => {
    const dave = await acme.user({ role: "MEMBER" });
    const query = `{ viewer { user { email } } }`;
    await missThenHit(query, dave.token);
    await t.db.prisma.user.update({ where: { id: dave.id }, data: { enabled: false } });
    // The trigger's NOTIFY is delivered at commit, asynchronously: allow it a moment.
    await expect
      .poll(async () => (await t.gql(query, { token: dave.token })).body.errors?.[0]?.extensions?.code, {
        timeout: 2_000,
        interval: 20,
      })
      .toBe("UNAUTHENTICATED");
  });

  test("a role change is seen by the next request (the cached viewer is evicted)", async () => {
    const erin = await acme.user({ role: "ADMIN" });
    const query = `{ viewer { user { role } } }`;
    await missThenHit(query, erin.token);
    await t.db.prisma.user.update({ where: { id: erin.id }, data: { role: "VIEWER" } });
    await expect
      .poll(async () => (await t.gql(query, { token: erin.token })).body.data?.viewer.user.role, {
        timeout: 2_000,
        interval: 20,
      })
      .toBe("VIEWER");
  });
});

describe("invalidation: after each mutation the next read is fresh", () => {
  const createRecord = `mutation ($input: CreateRecordInput!) { createRecord(input: $input) { record { id } } }`;
  const updateRecord = `mutation ($input: UpdateRecordInput!) { updateRecord(input: $input) { record { id title } } }`;
  const deleteRecord = `mutation ($input: DeleteRecordInput!) { deleteRecord(input: $input) { deletedRecordId } }`;

  async function mutate(query: string, input: Record<string, unknown>) {
    const response = await t.gql(query, { token: alice.token, variables: { input } });
    expect(response.body.errors).toBeUndefined();
    return response.body.data;
  }

  test("createRecord: the new record is in the next list, lookup and count", async () => {
    const reference = `NEW-${randomUUID().slice(0, 6)}`;
    const lookup = `{ recordByReference(referenceNumber: "${reference}") { id } }`;
    const before = await missThenHit(listQuery, alice.token);
    expect((await missThenHit(lookup, alice.token)).recordByReference).toBeNull();
    const bobBefore = await missThenHit(listQuery, bob.token);

    await mutate(createRecord, { referenceNumber: reference, categoryCode: "CAT002", title: "New" });

    const after = await t.gql(listQuery, { token: alice.token });
    expect(cacheInfo(after)).toMatchObject({ hit: false });
    expect(references(after.body.data)).toContain(reference);
    expect(after.body.data.records.totalCount).toBe(before.records.totalCount + 1);
    expect((await t.gql(lookup, { token: alice.token })).body.data.recordByReference).not.toBeNull();
    // Carol (same customer, her own entry) sees it too; Globex's entry is untouched.
    expect(references((await t.gql(listQuery, { token: carol.token })).body.data)).toContain(reference);
    const bobAfter = await t.gql(listQuery, { token: bob.token });
    expect(cacheInfo(bobAfter)).toEqual({ hit: true });
    expect(bobAfter.body.data).toEqual(bobBefore);
  });

  test("updateRecord: the next read shows the change, also through a list filtered on it", async () => {
    const record = await acme.record({ referenceNumber: `UPD-${randomUUID().slice(0, 6)}`, categoryCode: "CAT003" });
    const id = encodeGlobalID("Record", record.id);
    const byNode = `{ node(id: "${id}") { ... on Record { title categoryCode } } }`;
    const filtered = `{ records(filter: { categoryCode: "CAT009" }) { totalCount } }`;
    expect((await missThenHit(byNode, alice.token)).node.title).toBe("A record");
    const filteredBefore = (await missThenHit(filtered, alice.token)).records.totalCount;

    await mutate(updateRecord, { id, title: "Renamed", categoryCode: "CAT009" });

    expect((await t.gql(byNode, { token: alice.token })).body.data.node).toEqual({
      title: "Renamed",
      categoryCode: "CAT009",
    });
    expect((await t.gql(filtered, { token: alice.token })).body.data.records.totalCount).toBe(filteredBefore + 1);
  });

  test("deleteRecord: the record vanishes from the next list, count and node lookup", async () => {
    const record = await acme.record({ referenceNumber: `DEL-${randomUUID().slice(0, 6)}` });
    await acme.attachments(record.id, 1);
    const id = encodeGlobalID("Record", record.id);
    const byNode = `{ node(id: "${id}") { id } }`;
    const before = await missThenHit(listQuery, alice.token);
    expect(references(before)).toContain(record.referenceNumber);
    expect((await missThenHit(byNode, alice.token)).node).toEqual({ id });

    await mutate(deleteRecord, { id });

    const after = (await t.gql(listQuery, { token: alice.token })).body.data;
    expect(references(after)).not.toContain(record.referenceNumber);
    expect(after.records.totalCount).toBe(before.records.totalCount - 1);
    expect((await t.gql(byNode, { token: alice.token })).body.data.node).toBeNull();
  });

  test("attachments changed outside a mutation (a job, a service): attachmentsChanged refreshes the counts", async () => {
    const record = await acme.record({ referenceNumber: `ATT-${randomUUID().slice(0, 6)}` });
    const query = `{ node(id: "${encodeGlobalID("Record", record.id)}") { ... on Record { attachmentCount attachments(first: 5) { totalCount } } } }`;
    expect((await missThenHit(query, alice.token)).node.attachmentCount).toBe(0);
    const added = await acme.attachments(record.id, 2);
    // Written straight to the database: the cache cannot know until it is told.
    expect((await t.gql(query, { token: alice.token })).body.data.node.attachmentCount).toBe(0);
    await t.services.responseCache.attachmentsChanged(acme.id, {
      recordIds: [record.id],
      attachmentIds: added.map((attachment) => attachment.id),
    });
    const fresh = await t.gql(query, { token: alice.token });
    expect(fresh.body.data.node).toEqual({ attachmentCount: 2, attachments: { totalCount: 2 } });
  });

  test("a failed mutation invalidates nothing and an error is never cached", async () => {
    const tooMany = `{ records(first: 1000) { totalCount } }`;
    for (let i = 0; i < 2; i += 1) {
      const response = await t.gql(tooMany, { token: alice.token });
      expect(response.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      expect(cacheInfo(response)).toMatchObject({ hit: false, didCache: false });
    }
  });
});

describe("races", () => {
  test("a query that started before an invalidation does not store its (possibly stale) answer", async () => {
    const cache = t.services.responseCache;
    const key = `${acme.id}:${alice.id}:records:race-test`;
    const result = { data: { records: { totalCount: 1 } } };
    cache.executionStarted(key);
    await cache.recordsChanged(acme.id, []); // a write commits while the query runs
    await cache.store!.set(key, result, [], 60_000);
    expect(await cache.store!.get(key)).toBeNull();
    // The control: with no invalidation in between, the answer is stored.
    cache.executionStarted(key);
    await cache.store!.set(key, result, [], 60_000);
    expect(await cache.store!.get(key)).toEqual(result);
  });
});

describe("what is never cached", () => {
  test("jobs (they change by themselves)", async () => {
    const query = `{ jobs(first: 5) { totalCount } }`;
    for (let i = 0; i < 2; i += 1) {
      const response = await t.gql(query, { token: alice.token });
      expect(response.body.errors).toBeUndefined();
      expect(cacheInfo(response)).toMatchObject({ hit: false, didCache: false });
    }
  });

  test("RESPONSE_CACHE_TTL_MS=0 turns the cache off", async () => {
    const off = await startTestApp({ RESPONSE_CACHE_TTL_MS: "0", RESPONSE_CACHE_METADATA: "true" });
    try {
      const { admin: user } = await off.seed.customerWithAdmin();
      await off.gql(listQuery, { token: user.token });
      const again = await off.db.statements.measure(() => off.gql(listQuery, { token: user.token }));
      expect(cacheInfo(again.result)).toBeUndefined();
      expect(again.statements).toBeGreaterThan(0);
    } finally {
      await off.close();
    }
  });
});

describe("hits without metadata (as in production): the stored answer's JSON is reused", () => {
  test("every hit is byte for byte the miss, per session, and a change is seen at once", async () => {
    const plain = await startTestApp({ RESPONSE_CACHE_TTL_MS: "60000", RESPONSE_CACHE_METADATA: "false" });
    try {
      const { customer: first, admin: one } = await plain.seed.customerWithAdmin("First");
      const { customer: second, admin: two } = await plain.seed.customerWithAdmin("Second");
      await first.records(2, (index) => ({ referenceNumber: `FIRST-${index}`, title: `First ${index}` }));
      await second.records(1, () => ({ referenceNumber: "SECOND-0", title: "Second" }));
      const text = async (token: string) => {
        const response = await plain.app.fetch("http://yoga/graphql", {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: listQuery }),
        });
        expect(response.status).toBe(200);
        return response.text();
      };
      const miss = await text(one.token);
      const hits = await plain.db.statements.measure(async () => [await text(one.token), await text(one.token)]);
      expect(hits.statements).toBe(0);
      expect(hits.result).toEqual([miss, miss]);
      expect(JSON.parse(miss)).toEqual({ data: expect.any(Object) });
      // Another session's identical query: its own answer, never the first one's JSON.
      const other = await text(two.token);
      expect(other).toContain("SECOND-0");
      expect(other).not.toContain("FIRST-");
      expect(await text(two.token)).toBe(other);

      const id = JSON.parse(miss).data.records.edges[0].node.id;
      const renamed = await plain.gql(`mutation($id: ID!) { updateRecord(input: { id: $id, title: "Renamed" }) { record { id } } }`, {
        token: one.token,
        variables: { id },
      });
      expect(renamed.body.errors).toBeUndefined();
      const after = await text(one.token);
      expect(after).toContain('"title":"Renamed"');
      expect(await text(one.token)).toBe(after);
    } finally {
      await plain.close();
    }
  });
});
