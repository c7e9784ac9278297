// The allow-list of feed hosts (SYNC_ALLOWED_HOSTS). Checked when syncRecords is called and
// again before every request the sync makes, redirects included. An entry is a host name
// ("feeds.example.com", any port) or host:port ("127.0.0.1:8080", that port only).
import { z } from "zod";
import { storableText } from "../records/record-field-rules.js";

export type HostCheck = { allowed: true; url: URL } | { allowed: false; reason: string };

export function checkFeedUrl(raw: string, allowedHosts: readonly string[]): HostCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { allowed: false, reason: "is not a valid URL" };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { allowed: false, reason: "must be an http or https URL" };
  }
  if (url.username || url.password) return { allowed: false, reason: "must not contain credentials" };
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, "");
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  const listed = allowedHosts.some((entry) => entry === host || entry === `${host}:${port}`);
  if (!listed) {
    return { allowed: false, reason: `host ${host} is not in the allowed feed hosts (SYNC_ALLOWED_HOSTS)` };
  }
  return { allowed: true, url };
}

/** A record feed's URL in an input, on a host in `allowedHosts` (SYNC_ALLOWED_HOSTS): syncRecords, createSyncSchedule. */
export const feedUrlRule = (allowedHosts: readonly string[]) =>
  storableText()
    .trim()
    .min(1, "must not be empty")
    .max(2_000, "must be at most 2000 characters")
    .transform((value, context) => {
      const check = checkFeedUrl(value, allowedHosts);
      if (check.allowed) return check.url.toString();
      context.addIssue({ code: "custom", message: check.reason });
      return z.NEVER;
    });
