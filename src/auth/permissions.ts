// What each role may do. Every write service (records, attachments, jobs, sync schedules) calls
// one of these before touching data.
import { forbidden, unauthenticated } from "../errors.js";
import type { Viewer } from "./authenticate.js";

export function requireViewer(viewer: Viewer | null): Viewer {
  if (!viewer) throw unauthenticated();
  return viewer;
}

/** ADMIN only: managing the customer's sync schedules. */
export function requireAdmin(viewer: Viewer | null): Viewer {
  const known = requireViewer(viewer);
  if (known.user.role !== "ADMIN") throw forbidden(`Your role (${known.user.role}) may not do this; ask an ADMIN.`);
  return known;
}

/** ADMIN and MEMBER change data; VIEWER only reads. */
export function requireWriter(viewer: Viewer | null): Viewer {
  const known = requireViewer(viewer);
  if (known.user.role === "VIEWER") throw forbidden("Your role (VIEWER) may read but not change data.");
  return known;
}
