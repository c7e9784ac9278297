import { afterAll, beforeAll, expect, test } from "vitest";
import { startTestApp, type TestApp } from "./helpers/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

test("smoke", async () => {
  const acme = await t.seed.customer("Acme");
  const alice = await acme.user();
  const records = await acme.records(3, () => ({}));
  await acme.attachments(records[0]!.id, 2);
  const res = await t.gql(
    `{ viewer { user { email role } customer { slug } } records(first: 2) { totalCount edges { cursor node { id referenceNumber attachmentCount attachments(first: 10) { totalCount edges { node { id filename record { id } } } } } } pageInfo { hasNextPage endCursor } } }`,
    { token: alice.token },
  );
  console.log(JSON.stringify(res.body, null, 1));
  expect(res.body.errors).toBeUndefined();
});
