-- A record's createdDate lies in years 0001 to 9999 of UTC (src/records/record-field-rules.ts
-- checks it first and says why): the application refuses other dates as BAD_USER_INPUT, and
-- this CHECK is the backstop for any writer that skips it (raw SQL, a future code path).
--
-- Rows stored before the rule (e.g. "9999-12-31T23:59:59-23:59", year 10000 in UTC) cannot be
-- read back by the pg drivers and broke their customer's every record list; they are moved to
-- the nearest date inside the range, so the constraint holds for every row and no stored row
-- can make a list fail. The stats triggers see these updates like any other.
UPDATE "Record" SET "createdDate" = '9999-12-31 23:59:59.999+00'
WHERE "createdDate" > '9999-12-31 23:59:59.999+00';
UPDATE "Record" SET "createdDate" = '0001-01-01 00:00:00+00'
WHERE "createdDate" < '0001-01-01 00:00:00+00';

ALTER TABLE "Record" ADD CONSTRAINT "Record_createdDate_range"
  CHECK ("createdDate" >= '0001-01-01 00:00:00+00' AND "createdDate" <= '9999-12-31 23:59:59.999+00');
