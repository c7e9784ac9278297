// Calendar months (UTC) as the statistics count them, and the range a recordStats request
// covers: written YYYY-MM, both ends inclusive, by default the last 12 months (the current one
// included). Months are counted as year * 12 + (month - 1), so ranges are plain arithmetic.
import { badUserInput } from "../errors.js";

/** Longest range one request may ask for: ten years of months. */
export const MAX_STATS_MONTHS = 120;
export const DEFAULT_STATS_MONTHS = 12;

/** A month as year * 12 + (month - 1), from 0001-01 to 9999-12. */
export type Month = number;

const FIRST_MONTH: Month = 1 * 12;
const yearMonthPattern = /^(\d{4})-(\d{2})$/;

export function parseYearMonth(text: string): Month | null {
  const match = yearMonthPattern.exec(text);
  if (!match) return null;
  const month = Number(match[2]);
  if (month < 1 || month > 12) return null;
  const index = Number(match[1]) * 12 + month - 1;
  return index >= FIRST_MONTH ? index : null;
}

export function formatYearMonth(month: Month): string {
  const year = Math.floor(month / 12);
  return `${String(year).padStart(4, "0")}-${String((month % 12) + 1).padStart(2, "0")}`;
}

/** The first day of the month as a SQL date literal (never a timestamp: no time zone involved). */
export function firstDayOf(month: Month): string {
  return `${formatYearMonth(month)}-01`;
}

export function monthOf(date: Date): Month {
  return date.getUTCFullYear() * 12 + date.getUTCMonth();
}

export type MonthRange = { from: Month; to: Month };

/**
 * The range asked for: `to` defaults to the current month, `from` to 11 months before `to`.
 * A reversed or too long range is the client's mistake (BAD_USER_INPUT naming the field).
 */
export function resolveMonthRange(filter: { fromMonth?: Month | null; toMonth?: Month | null }, now: Date): MonthRange {
  const to = filter.toMonth ?? monthOf(now);
  const from = filter.fromMonth ?? Math.max(FIRST_MONTH, to - (DEFAULT_STATS_MONTHS - 1));
  if (from > to) {
    throw badUserInput(`fromMonth (${formatYearMonth(from)}) is after toMonth (${formatYearMonth(to)}).`, "fromMonth");
  }
  const months = to - from + 1;
  if (months > MAX_STATS_MONTHS) {
    throw badUserInput(`The range covers ${months} months; at most ${MAX_STATS_MONTHS} are allowed.`, "fromMonth");
  }
  return { from, to };
}

/** Every month of the range, oldest first. */
export function monthsOf(range: MonthRange): Month[] {
  return Array.from({ length: range.to - range.from + 1 }, (_, index) => range.from + index);
}
