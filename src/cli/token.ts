// `npm run -s token -- --email alice@acme.test [--expires 1h]`: prints a signed access
// token for that user with the server's configuration (works while the server runs:
// the embedded database is then reached through the server's socket).
import { parseArgs } from "node:util";
import { AccessTokens } from "../auth/access-tokens.js";
import { resolveJwtSecret } from "../auth/jwt-secret.js";
import { runCommand, UsageError, withConfiguredDatabase } from "./run-command.js";

await runCommand("token", async () => {
  const { values } = parseArgs({
    options: { email: { type: "string" }, expires: { type: "string", default: "1h" } },
  });
  if (!values.email) throw new UsageError("usage: npm run -s token -- --email EMAIL [--expires 1h]");
  if (!/^\d+\s*(s|m|h|d|w)$/.test(values.expires!)) {
    throw new UsageError(`--expires must look like 30m, 1h or 7d (got ${values.expires})`);
  }
  const token = await withConfiguredDatabase(async (db, config) => {
    const user = await db.prisma.user.findUnique({ where: { email: values.email } });
    if (!user) throw new Error(`no user with email ${values.email}`);
    if (!user.enabled) throw new Error(`user ${values.email} is disabled`);
    const tokens = new AccessTokens(resolveJwtSecret(config), {
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
    });
    return tokens.sign({ userId: user.id, customerId: user.customerId }, values.expires);
  }, { createEmbedded: false });
  console.log(token);
});
