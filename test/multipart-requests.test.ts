// Broken multipart requests are the client's mistake: 400 BAD_USER_INPUT with a message that
// says what is wrong, never a 500. `Content-Type: multipart/form-data` without a boundary was a
// 500 (the parser threw while being built). Each case is sent with the CSRF header, with a
// token and without one, and nothing is stored.
import { encodeGlobalID } from "@pothos/plugin-relay";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ADD_ATTACHMENT } from "./helpers/upload-request.js";
import type { SeededCustomer, SeededUser } from "./helpers/seed.js";
import { startTestApp, type TestApp } from "./helpers/test-app.js";

let t: TestApp;
let acme: SeededCustomer;
let alice: SeededUser;
let recordId: string;

beforeAll(async () => {
  t = await startTestApp();
  ({ customer: acme, admin: alice } = await t.seed.customerWithAdmin());
  recordId = (await acme.record()).id;
});
afterAll(() => t.close());

const boundary = "----testboundary";
const part = (name: string, value: string, filename?: string) =>
  `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"` : ""}\r\n` +
  `${filename ? "Content-Type: application/octet-stream\r\n" : ""}\r\n${value}\r\n`;
const end = `--${boundary}--\r\n`;
const operations = () =>
  JSON.stringify({ query: ADD_ATTACHMENT, variables: { input: { recordId: encodeGlobalID("Record", recordId), file: null } } });
const map = JSON.stringify({ 0: ["variables.input.file"] });
const complete = () => part("operations", operations()) + part("map", map) + part("0", "file bytes", "a.bin") + end;

async function send(body: string, contentType: string, token?: string) {
  const response = await t.app.fetch("http://yoga/graphql", {
    method: "POST",
    headers: {
      "content-type": contentType,
      "x-graphql-yoga-csrf": "1",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body,
  });
  return { status: response.status, body: await response.json() };
}

const withBoundary = `multipart/form-data; boundary=${boundary}`;
const cases: Array<[string, () => string, string, RegExp]> = [
  ["no boundary in the Content-Type", complete, "multipart/form-data", /with a boundary/],
  ["an empty boundary", complete, "multipart/form-data; boundary=", /with a boundary/],
  ["no boundary, a charset instead", complete, "multipart/form-data; charset=utf-8", /with a boundary/],
  ["a body without the boundary", () => "just some text", withBoundary, /./],
  ["an empty body", () => "", withBoundary, /./],
  ["no operations field", () => part("map", map) + part("0", "x", "a.bin") + end, withBoundary, /"operations"/],
  ["operations that are not JSON", () => part("operations", "{nope") + part("map", map) + end, withBoundary, /"operations" field is not valid JSON/],
  ["a map that is not JSON", () => part("operations", operations()) + part("map", "[") + end, withBoundary, /"map" field is not valid JSON/],
  ["a map that is a list", () => part("operations", operations()) + part("map", "[1]") + end, withBoundary, /"map" must be an object/],
  ["a map path that does not exist", () => part("operations", operations()) + part("map", `{"0":["variables.nope.file"]}`) + end, withBoundary, /does not exist/],
  ["a map path through __proto__", () => part("operations", operations()) + part("map", `{"0":["__proto__.x"]}`) + end, withBoundary, /bad map path/],
  ["a body cut inside operations", () => part("operations", operations()).slice(0, 80), withBoundary, /./],
];
// Broken only after `operations` and `map`: a request with a token reads the file and fails;
// one without is refused (401) before its file is read, and must not leave a failing stream behind.
const brokenInTheFile: Array<[string, () => string]> = [
  ["a body cut inside the file", () => complete().slice(0, complete().indexOf("file bytes") + 4)],
  ["a boundary that never closes", () => part("operations", operations()) + part("map", map) + part("0", "file bytes", "a.bin")],
];

describe("broken multipart requests are 400 BAD_USER_INPUT", () => {
  test("a well-formed upload works (the control)", async () => {
    const response = await send(complete(), withBoundary, alice.token);
    expect(response.status).toBe(200);
    expect(response.body.data.addAttachment.attachment.filename).toBe("a.bin");
  });

  test.each(cases)("%s", async (_name, body, contentType, message) => {
    const before = await t.db.prisma.attachment.count({ where: { customerId: acme.id } });
    for (const token of [alice.token, undefined]) {
      const response = await send(body(), contentType, token);
      expect(response.status, JSON.stringify(response.body)).toBe(400);
      const error = response.body.errors[0];
      expect(error.extensions.code).toBe("BAD_USER_INPUT");
      expect(error.message).toMatch(/^Invalid multipart request: /);
      expect(error.message).toMatch(message);
    }
    expect(await t.db.prisma.attachment.count({ where: { customerId: acme.id } })).toBe(before);
  });

  test.each(brokenInTheFile)("%s", async (_name, body) => {
    const before = await t.db.prisma.attachment.count({ where: { customerId: acme.id } });
    const withToken = await send(body(), withBoundary, alice.token);
    expect(withToken.status, JSON.stringify(withToken.body)).toBe(400);
    expect(withToken.body.errors[0].extensions.code).toBe("BAD_USER_INPUT");
    expect(withToken.body.errors[0].message).toMatch(/^Invalid multipart request: the file "0" is cut short/);
    expect((await send(body(), withBoundary)).status).toBe(401);
    expect(await t.db.prisma.attachment.count({ where: { customerId: acme.id } })).toBe(before);
    // The server still serves: a failing file stream nobody reads must not be an uncaught exception.
    expect((await t.gql(`{ __typename }`, { token: alice.token })).status).toBe(200);
  });
});
