// Cron expressions of sync schedules, read by cron-parser (the library pg-boss itself schedules
// with): five fields (minute … weekday), or six with seconds first, evaluated in an IANA time zone.
import { CronExpressionParser } from "cron-parser";

/** Why the expression cannot be used, in words for the user; null when it can. */
export function cronSyntaxProblem(cron: string): string | null {
  const fields = cron.trim().split(/\s+/).filter(Boolean);
  // cron-parser reads an empty expression as "every minute"; refuse it rather than guess.
  if (fields.length < 5 || fields.length > 6) {
    return "must have 5 fields (minute hour day month weekday), or 6 with seconds first";
  }
  try {
    CronExpressionParser.parse(cron, { strict: false });
    return null;
  } catch (error) {
    return `is not a valid cron expression (${(error as Error).message})`;
  }
}

/** An IANA time zone name both the platform and cron-parser can use ("Europe/Paris", "UTC"). */
export function isTimeZone(timeZone: string): boolean {
  if (timeZone.trim() === "") return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    // cron-parser checks a zone only when it computes a date: make it compute one.
    CronExpressionParser.parse("* * * * *", { tz: timeZone, currentDate: new Date() }).next();
    return true;
  } catch {
    return false;
  }
}

/** The first occurrence strictly after `after`. */
export function nextOccurrence(cron: string, timeZone: string, after: Date): Date {
  return CronExpressionParser.parse(cron, { tz: timeZone, currentDate: after, strict: false }).next().toDate();
}
