// What each role may do. Every mutation calls requireWriter before touching data.
import { forbidden, unauthenticated } from "../errors.js";
import type { Viewer } from "./authenticate.js";

export function requireViewer(viewer: Viewer | null): Viewer {
  if (!viewer) throw unauthenticated();
  return viewer;
}

/** ADMIN and MEMBER change data; VIEWER only reads. */
export function requireWriter(viewer: Viewer | null): Viewer {
  const known = requireViewer(viewer);
  if (known.user.role === "VIEWER") throw forbidden("Your role (VIEWER) may read but not change data.");
  return known;
}
