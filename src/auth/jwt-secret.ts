// The HS256 signing secret: JWT_SECRET, or outside production a random one kept in
// DATA_DIR so that tokens printed by `npm run token` survive restarts.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Config } from "../config.js";

export function resolveJwtSecret(config: Config): string {
  if (config.jwt.secret) return config.jwt.secret;
  if (config.isProduction) throw new Error("JWT_SECRET is required in production");
  const file = path.join(config.dataDir, "dev-jwt-secret");
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    fs.mkdirSync(config.dataDir, { recursive: true });
    const secret = randomBytes(48).toString("base64url");
    // "wx": if another process created it meanwhile, keep theirs.
    try {
      fs.writeFileSync(file, secret, { mode: 0o600, flag: "wx" });
      return secret;
    } catch {
      return fs.readFileSync(file, "utf8").trim();
    }
  }
}
