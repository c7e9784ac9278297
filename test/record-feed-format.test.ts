// The feed format is a documented interface (docs/record-feed.md): its JSON Schema
// (docs/record-feed.schema.json) accepts every page of the example feed that `npm run
// feed:example` serves, and agrees with the parser the sync uses (feed-page.ts) on what is a
// valid page and a valid record, apart from the differences the document lists, which are
// tested as such so the list stays true.
import fs from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsPlugin from "ajv-formats";
import { describe, expect, it } from "vitest";
import { exampleFeedPages } from "../scripts/example-feed.js";
import { PermanentJobError } from "../src/jobs/job-errors.js";
import { parseFeedPage } from "../src/jobs/record-sync/feed-page.js";

const schema = JSON.parse(fs.readFileSync(new URL("../docs/record-feed.schema.json", import.meta.url), "utf8"));
const ajv = new Ajv2020({ allErrors: true, strict: true });
(addFormatsPlugin as unknown as (ajv: Ajv2020) => void)(ajv);
const validPage = ajv.compile(schema);

const MAX_PAGE_RECORDS = 1_000; // SYNC_MAX_PAGE_RECORDS's default, which the schema states

/** What the parser makes of a page: "invalid" when it fails the sync, else the records it rejected. */
function parsed(page: unknown): "invalid" | { accepted: number; rejected: number } {
  try {
    const result = parseFeedPage(page, MAX_PAGE_RECORDS);
    return { accepted: result.records.length, rejected: result.rejected.length };
  } catch (error) {
    if (error instanceof PermanentJobError) return "invalid";
    throw error;
  }
}

const record = (fields: Record<string, unknown> = {}) => ({
  referenceNumber: "REF-1",
  categoryCode: "CAT001",
  title: "A record",
  createdDate: "2026-01-05T09:30:00Z",
  ...fields,
});
const page = (records: unknown[], extra: Record<string, unknown> = {}) => ({ records, nextCursor: null, ...extra });
const attachment = (fields: Record<string, unknown> = {}) => ({
  filename: "a.pdf",
  contentType: "application/pdf",
  sizeBytes: 10,
  ...fields,
});

describe("the example feed", () => {
  it("serves pages the JSON Schema accepts, with total, that the parser takes whole", () => {
    const pages = exampleFeedPages();
    expect(pages.length).toBeGreaterThan(1);
    for (const each of pages) {
      expect(validPage(each), JSON.stringify(validPage.errors)).toBe(true);
      expect(each.total).toBe(12);
      expect(parsed(each)).toEqual({ accepted: each.records.length, rejected: 0 });
    }
  });
});

describe("the JSON Schema and the parser agree", () => {
  const validRecords: Array<[string, unknown]> = [
    ["all fields", record({ attachments: [attachment(), attachment({ filename: "b.png", contentType: "image/png" })] })],
    ["no attachments field", record()],
    ["an empty attachment list", record({ attachments: [] })],
    ["fractional seconds and an offset", record({ createdDate: "2026-01-05T09:30:00.123456+02:00" })],
    ["the earliest date", record({ createdDate: "0001-01-01T00:00:00Z" })],
    ["the latest date", record({ createdDate: "9999-12-31T23:59:59.999Z" })],
    ["a reference with . _ / -", record({ referenceNumber: "A.b_c/d-9" })],
    ["a 64-character reference", record({ referenceNumber: "R".repeat(64) })],
    ["a 500-character title", record({ title: "t".repeat(500) })],
    ["unicode in the title", record({ title: "Über 日本 🎉" })],
    ["unknown fields", record({ colour: "blue" })],
  ];
  const invalidRecords: Array<[string, unknown]> = [
    ["no referenceNumber", record({ referenceNumber: undefined })],
    ["an empty referenceNumber", record({ referenceNumber: "" })],
    ["a 65-character reference", record({ referenceNumber: "R".repeat(65) })],
    ["a reference with a space inside", record({ referenceNumber: "REF 1" })],
    ["a lower-case category", record({ categoryCode: "cat001" })],
    ["a 33-character category", record({ categoryCode: "C".repeat(33) })],
    ["an empty title", record({ title: "" })],
    ["a white-space title", record({ title: "   " })],
    ["a 501-character title", record({ title: "t".repeat(501) })],
    ["a NUL byte in the title", record({ title: "a\u0000b" })],
    ["a date without an offset", record({ createdDate: "2026-01-05T09:30:00" })],
    ["a date without seconds", record({ createdDate: "2026-01-05T09:30Z" })],
    ["a date with a space", record({ createdDate: "2026-01-05 09:30:00Z" })],
    ["a date that does not exist", record({ createdDate: "2026-02-30T09:30:00Z" })],
    ["year 0000", record({ createdDate: "0000-06-01T00:00:00Z" })],
    ["a number as date", record({ createdDate: 1767605400000 })],
    ["a record that is not an object", "REF-1"],
    ["101 attachments", record({ attachments: Array.from({ length: 101 }, (_, i) => attachment({ filename: `f${i}` })) })],
    ["an attachment without a filename", record({ attachments: [attachment({ filename: undefined })] })],
    ["a 256-character filename", record({ attachments: [attachment({ filename: "f".repeat(256) })] })],
    ["a content type that is not a media type", record({ attachments: [attachment({ contentType: "pdf" })] })],
    ["a negative size", record({ attachments: [attachment({ sizeBytes: -1 })] })],
    ["a fractional size", record({ attachments: [attachment({ sizeBytes: 1.5 })] })],
    ["a size past 2^31-1", record({ attachments: [attachment({ sizeBytes: 2_147_483_648 })] })],
  ];

  it.each(validRecords)("a valid record: %s", (_name, each) => {
    expect(validPage(page([each])), JSON.stringify(validPage.errors)).toBe(true);
    expect(parsed(page([each]))).toEqual({ accepted: 1, rejected: 0 });
  });

  it.each(invalidRecords)("an invalid record (rejected, not failing the page): %s", (_name, each) => {
    expect(validPage(page([each]))).toBe(false);
    expect(parsed(page([record({ referenceNumber: "NEIGHBOUR" }), each]))).toEqual({ accepted: 1, rejected: 1 });
  });

  const validPages: Array<[string, unknown]> = [
    ["an empty last page", page([])],
    ["a next cursor", page([], { nextCursor: "c" })],
    ["a total", page([], { total: 12 })],
    ["a null total", page([], { total: null })],
  ];
  const invalidPages: Array<[string, unknown]> = [
    ["no nextCursor", { records: [] }],
    ["no records", { nextCursor: null }],
    ["records that are not a list", { records: {}, nextCursor: null }],
    ["an empty cursor", page([], { nextCursor: "" })],
    ["a 2,001-character cursor", page([], { nextCursor: "c".repeat(2_001) })],
    ["a numeric cursor", page([], { nextCursor: 2 })],
    ["a negative total", page([], { total: -1 })],
    ["a fractional total", page([], { total: 1.5 })],
    ["a total as text", page([], { total: "12" })],
    ["more records than SYNC_MAX_PAGE_RECORDS", page(Array.from({ length: 1_001 }, (_, i) => record({ referenceNumber: `R${i}` })))],
    ["an array", []],
    ["null", null],
  ];

  it.each(validPages)("a valid page: %s", (_name, each) => {
    expect(validPage(each), JSON.stringify(validPage.errors)).toBe(true);
    expect(parsed(each)).not.toBe("invalid");
  });

  it.each(invalidPages)("an invalid page (fails the sync): %s", (_name, each) => {
    expect(validPage(each)).toBe(false);
    expect(parsed(each)).toBe("invalid");
  });
});

describe("the differences docs/record-feed.md lists", () => {
  const passesSchemaNotParser: Array<[string, unknown]> = [
    ["a date past year 9999 once in UTC", page([record({ createdDate: "9999-12-31T23:59:59-23:59" })])],
    ["a date before year 1 once in UTC", page([record({ createdDate: "0001-01-01T00:00:00+01:00" })])],
    ["an unpaired surrogate", page([record({ title: "a\uD800b" })])],
    ["two attachments with one filename", page([record({ attachments: [attachment(), attachment()] })])],
  ];
  it.each(passesSchemaNotParser)("the schema cannot say it, the parser rejects the record: %s", (_name, each) => {
    expect(validPage(each)).toBe(true);
    expect(parsed(each)).toEqual({ accepted: 0, rejected: 1 });
  });

  it("a reference number twice in one page: the second is rejected", () => {
    const twice = page([record(), record({ title: "again" })]);
    expect(validPage(twice)).toBe(true);
    expect(parsed(twice)).toEqual({ accepted: 1, rejected: 1 });
  });

  it("surrounding white space is trimmed by the parser; the schema asks for the trimmed form", () => {
    const padded = page([record({ referenceNumber: " REF-1 " })]);
    expect(validPage(padded)).toBe(false);
    expect(parsed(padded)).toEqual({ accepted: 1, rejected: 0 });
  });
});
