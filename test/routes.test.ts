// The GraphQL endpoint has exactly one spelling, and so has every other route: a request
// whose pathname is not exactly /graphql, /health, /ready, /metrics or /files/<id> is 404
// before any plugin acts on it. Without that, every plugin that compares url.pathname to
// "/graphql" (introspection, rate limit, authentication) did nothing at `/graphql/` while
// Yoga still served GraphQL there.
import type { AddressInfo } from "node:net";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createHttpServer } from "../src/server.js";
import { download, patternedBytes, uploadAttachment } from "./helpers/upload-request.js";
import type { SeededCustomer, SeededUser } from "./helpers/seed.js";
import { startTestApp, type TestApp } from "./helpers/test-app.js";

let production: TestApp;
let limited: TestApp;
let acme: SeededCustomer;
let alice: SeededUser;

beforeAll(async () => {
  [production, limited] = await Promise.all([
    startTestApp({ NODE_ENV: "production" }),
    startTestApp({ RATE_LIMIT_PER_MINUTE: "2", RATE_LIMIT_ANONYMOUS_PER_MINUTE: "1" }),
  ]);
  ({ customer: acme, admin: alice } = await production.seed.customerWithAdmin("Acme"));
});
afterAll(() => Promise.all([production.close(), limited.close()]));

/** Other spellings of /graphql; each also ends in "/graphql", as Yoga's own matching wanted. */
const otherSpellings = [
  "/graphql/",
  "//graphql",
  "/x/graphql",
  "/x?y=/graphql",
  "/GraphQL",
  "/graphql;",
  "/graphql;/graphql",
  "/graphql%2F",
  "/%2Fgraphql",
  "/%67raphql",
  "/graphql/x/graphql",
  "/graphql.json?/graphql",
  "/api/graphql",
  "/graphql/%2e%2e/graphql/",
];

const introspection = `{ __schema { types { name } } }`;

const post = (t: TestApp, path: string, body: unknown, token?: string) =>
  t.app.fetch(`http://yoga${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });

/** A GET with the query in the URL that still ends in /graphql. */
const getQuery = (t: TestApp, path: string, query: string, headers: Record<string, string> = {}) =>
  t.app.fetch(`http://yoga${path}${path.includes("?") ? "&" : "?"}query=${encodeURIComponent(query)}&end=/graphql`, {
    headers,
  });

describe("the GraphQL endpoint", () => {
  test("/graphql serves GraphQL (the control)", async () => {
    const response = await post(production, "/graphql", { query: `{ viewer { customer { slug } } }` }, alice.token);
    expect(response.status).toBe(200);
    expect((await response.json()).data.viewer.customer.slug).toBe(acme.slug);
    const get = await getQuery(production, "/graphql", `{ __typename }`, { authorization: `Bearer ${alice.token}` });
    expect(get.status).toBe(200);
  });

  test.each(otherSpellings)("%s is 404 for POST, GET and GraphiQL, with a token", async (path) => {
    const responses = [
      await post(production, path, { query: introspection }, alice.token),
      await getQuery(production, path, introspection, { authorization: `Bearer ${alice.token}` }),
      await production.app.fetch(`http://yoga${path}`, { headers: { accept: "text/html" } }),
    ];
    for (const response of responses) {
      expect(response.status).toBe(404);
      expect(await response.text()).toBe("Not found.\n");
    }
  });

  test("in production, introspection is refused at /graphql and there is nothing at /graphql/", async () => {
    const refused = await post(production, "/graphql", { query: introspection }, alice.token);
    expect((await refused.json()).errors[0].extensions.code).toBe("FORBIDDEN");
    const elsewhere = await post(production, "/graphql/", { query: introspection }, alice.token);
    expect(elsewhere.status).toBe(404);
  });

  test("a customer refused with 429 at /graphql cannot create a record at /graphql/", async () => {
    const { customer, admin: user } = await limited.seed.customerWithAdmin("Limited");
    const viewer = { query: `{ viewer { user { id } } }` };
    for (let i = 0; i < 2; i++) expect((await post(limited, "/graphql", viewer, user.token)).status).toBe(200);
    expect((await post(limited, "/graphql", viewer, user.token)).status).toBe(429);
    const create = {
      query: `mutation { createRecord(input: { referenceNumber: "R-1", categoryCode: "CAT001", title: "t" }) { record { id } } }`,
    };
    for (const path of ["/graphql/", "//graphql", "/x?y=/graphql"]) {
      expect((await post(limited, path, create, user.token)).status).toBe(404);
    }
    expect(await limited.db.prisma.record.count({ where: { customerId: customer.id } })).toBe(0);
  });

  test("an anonymous client refused with 429 at /graphql gets 404 elsewhere, not 401", async () => {
    const headers = { "content-type": "application/json" };
    const body = JSON.stringify({ query: `{ viewer { user { id } } }` });
    const send = (path: string) => limited.app.fetch(`http://yoga${path}`, { method: "POST", headers, body });
    expect((await send("/graphql")).status).toBe(401);
    expect((await send("/graphql")).status).toBe(429);
    expect((await send("/graphql/")).status).toBe(404);
    expect((await send("/x/graphql")).status).toBe(404);
  });

  test("methods: HEAD and PUT /graphql are 405, as Yoga answers them; at other spellings 404", async () => {
    for (const method of ["HEAD", "PUT", "DELETE"]) {
      expect((await production.app.fetch("http://yoga/graphql", { method })).status).toBe(405);
      expect((await production.app.fetch("http://yoga/graphql/", { method })).status).toBe(404);
    }
  });
});

describe("the probes and /metrics", () => {
  test("exact paths answer; GET and HEAD only", async () => {
    for (const path of ["/health", "/ready", "/metrics"]) {
      expect((await production.app.fetch(`http://yoga${path}`)).status).toBe(200);
      expect((await production.app.fetch(`http://yoga${path}`, { method: "HEAD" })).status).toBe(200);
      const posted = await production.app.fetch(`http://yoga${path}`, { method: "POST" });
      expect(posted.status).toBe(405);
      expect(posted.headers.get("allow")).toBe("GET, HEAD");
    }
  });

  test.each(["/health", "/ready", "/metrics"])("%s with a suffix, a prefix or in a query string is not it", async (path) => {
    for (const other of [`${path}/`, `/x${path}`, `/${path}`, `${path};`, `${path}z`, `/x?y=${path}`, `${path.toUpperCase()}`]) {
      const response = await production.app.fetch(`http://yoga${other}`);
      expect(response.status, other).toBe(404);
    }
    // At /graphql, a query string ending in the probe's path is still a GraphQL request.
    const graphql = await post(production, `/graphql?y=${path}`, { query: `{ __typename }` }, alice.token);
    expect(graphql.status).toBe(200);
    expect((await graphql.json()).data.__typename).toBe("Query");
  });
});

describe("file downloads", () => {
  test("a valid link downloads at /files/<id> and nowhere else", async () => {
    const record = await acme.record();
    const uploaded = await uploadAttachment(production, {
      token: alice.token,
      recordId: record.id,
      bytes: patternedBytes(100),
      filename: "a.bin",
    });
    const url = new URL(uploaded.body.data.addAttachment.attachment.downloadUrl);
    expect((await download(production, url.href)).status).toBe(200);
    for (const pathname of [`${url.pathname}/`, `/${url.pathname}`, `/x${url.pathname}`, `${url.pathname};`]) {
      const moved = new URL(url);
      moved.pathname = pathname;
      expect((await download(production, moved.href)).status, pathname).toBe(404);
    }
  });
});

describe("over a real port", () => {
  let origin: { host: string; port: number };
  let server: ReturnType<typeof createHttpServer>;
  beforeAll(async () => {
    server = createHttpServer(production.app);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = { host: "127.0.0.1", port: (server.address() as AddressInfo).port };
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** A raw request line, as a client that does not normalise URLs sends it; returns the status. */
  async function rawStatus(target: string, token: string): Promise<number> {
    const body = JSON.stringify({ query: introspection });
    const socket = net.connect(origin.port, origin.host);
    socket.write(
      `POST ${target} HTTP/1.1\r\nHost: ${origin.host}:${origin.port}\r\nAuthorization: Bearer ${token}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    let reply = "";
    for await (const chunk of socket) reply += chunk.toString();
    return Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1]);
  }

  test.each([
    "/graphql/",
    "//graphql",
    "/x/../graphql/",
    "/graphql/.",
    "/graphql%2f",
    // Absolute-form targets were a 500 (the adapter's URL of Host + target did not parse).
    "http://other.example/graphql/",
    "http://other.example/graphql",
    "*",
  ])("%s, sent as it is, is not the endpoint", async (target) => {
    const status = await rawStatus(target, alice.token);
    expect([400, 404]).toContain(status);
  });

  test("the exact path over the same port (the control): introspection refused, so 200 with FORBIDDEN", async () => {
    expect(await rawStatus("/graphql", alice.token)).toBe(200);
  });
});
