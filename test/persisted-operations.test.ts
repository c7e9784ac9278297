// Trusted documents: PERSISTED_OPERATIONS=only runs nothing but the allow-list file's
// operations, sent by id; `allow` runs those and full documents. A bad list stops the start.
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ConfigError } from "../src/config.js";
import { loadPersistedOperations } from "../src/plugins/use-persisted-operations.js";
import { schema } from "../src/schema/index.js";
import { startTestApp, type TestApp } from "./helpers/test-app.js";

const viewerDocument = "query Viewer { viewer { customer { slug } } }";
const recordsDocument = "query Count { records { totalCount } }";
const recordsHash = createHash("sha256").update(recordsDocument).digest("hex");

const directory = fs.mkdtempSync(path.join(os.tmpdir(), "persisted-"));
const writeList = (name: string, content: unknown) => {
  const file = path.join(directory, name);
  fs.writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
};
const allowList = writeList("operations.json", { "viewer-v1": viewerDocument, [recordsHash]: recordsDocument });

let only: TestApp;
let allow: TestApp;
let onlyToken: string;
let allowToken: string;
let slug: string;

beforeAll(async () => {
  [only, allow] = await Promise.all([
    startTestApp({ PERSISTED_OPERATIONS: "only", PERSISTED_OPERATIONS_FILE: allowList }),
    startTestApp({ PERSISTED_OPERATIONS: "allow", PERSISTED_OPERATIONS_FILE: allowList }),
  ]);
  const { customer: acme, admin } = await only.seed.customerWithAdmin("Acme");
  slug = acme.slug;
  onlyToken = admin.token;
  await acme.records(2, () => ({}));
  allowToken = (await allow.seed.customerWithAdmin("Globex")).admin.token;
});
afterAll(async () => {
  await Promise.all([only.close(), allow.close()]);
  fs.rmSync(directory, { recursive: true, force: true });
});

async function send(app: TestApp, token: string, body: Record<string, unknown>) {
  const response = await app.app.fetch("http://yoga/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

describe("PERSISTED_OPERATIONS=only", () => {
  test("an allow-listed operation runs by documentId and by Apollo's sha256Hash", async () => {
    const byId = await send(only, onlyToken, { documentId: "viewer-v1" });
    expect(byId.body.errors).toBeUndefined();
    expect(byId.body.data.viewer.customer.slug).toBe(slug);
    const byHash = await send(only, onlyToken, { extensions: { persistedQuery: { version: 1, sha256Hash: recordsHash } } });
    expect(byHash.body.data.records.totalCount).toBe(2);
  });

  test("a document sent in full is refused, even one that is on the list", async () => {
    for (const query of [viewerDocument, "{ records { totalCount } }"]) {
      const response = await send(only, onlyToken, { query });
      expect(response.status).toBe(403);
      expect(response.body.data ?? null).toBeNull();
      expect(response.body.errors[0].extensions.code).toBe("FORBIDDEN");
      expect(response.body.errors[0].message).toContain("PERSISTED_OPERATIONS=only");
    }
  });

  test("an unknown id is refused, and refusals are counted", async () => {
    const response = await send(only, onlyToken, { documentId: "not-on-the-list" });
    expect(response.status).toBe(400);
    expect(response.body.errors[0].extensions.code).toBe("BAD_USER_INPUT");
    const metrics = await (await only.app.fetch("http://yoga/metrics")).text();
    expect(metrics).toMatch(/^testapp_graphql_refusals_total\{limit="persisted_operations"\} ([3-9]|\d\d+)$/m);
  });

  test("authentication still applies to allow-listed operations", async () => {
    const response = await send(only, "not-a-token", { documentId: "viewer-v1" });
    expect(response.status).toBe(401);
    expect(response.body.errors[0].extensions.code).toBe("UNAUTHENTICATED");
  });
});

describe("PERSISTED_OPERATIONS=allow", () => {
  test("allow-listed ids and full documents both run", async () => {
    expect((await send(allow, allowToken, { documentId: "viewer-v1" })).body.data.viewer.customer.slug).toBeTruthy();
    expect((await send(allow, allowToken, { query: "{ records { totalCount } }" })).body.data.records.totalCount).toBe(0);
  });
});

describe("the allow-list file is checked at start", () => {
  test("a missing file, bad JSON, a document that does not parse or fit the schema: each names the variable", () => {
    const cases: Array<[string, RegExp]> = [
      [path.join(directory, "missing.json"), /readable JSON/],
      [writeList("bad.json", "{ not json"), /readable JSON/],
      [writeList("list.json", ["query { viewer { user { id } } }"]), /JSON object/],
      [writeList("parse.json", { broken: "query {" }), /broken does not parse/],
      [writeList("stale.json", { stale: "{ viewer { nickname } }" }), /stale does not fit the schema/],
    ];
    for (const [file, problem] of cases) {
      expect(() => loadPersistedOperations(file, schema)).toThrow(ConfigError);
      expect(() => loadPersistedOperations(file, schema)).toThrow(/PERSISTED_OPERATIONS_FILE/);
      expect(() => loadPersistedOperations(file, schema)).toThrow(problem);
    }
  });

  test("an Apollo persisted-query manifest is read too", () => {
    const file = writeList("manifest.json", {
      format: "apollo-persisted-query-manifest",
      version: 1,
      operations: [{ id: "abc", name: "Viewer", type: "query", body: viewerDocument }],
    });
    expect([...loadPersistedOperations(file, schema)]).toEqual([["abc", viewerDocument]]);
  });
});
