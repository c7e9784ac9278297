// What a newcomer does next when the database has no users yet (a fresh PostgreSQL database is
// not seeded by npm start): the exact commands, with the settings that locate this database,
// printed by npm start and db:seed and shown in GraphiQL's editor.
import path from "node:path";
import type { Config } from "./config.js";
import type { PrismaClient } from "./generated/prisma/client.js";

export async function hasUsers(prisma: PrismaClient): Promise<boolean> {
  return (await prisma.user.findFirst({ select: { id: true } })) !== null;
}

/** A URL's password is not printed: `****` stands in for it. */
function withoutPassword(url: string): { text: string; masked: boolean } {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return { text: url, masked: false };
    parsed.password = "****";
    return { text: parsed.toString(), masked: true };
  } catch {
    return { text: url, masked: false };
  }
}

const quoted = (value: string) => (/^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`);

/**
 * The variables another command needs to reach the same database and sign tokens this server
 * accepts (DATA_DIR holds the embedded database, the dev JWT secret and the files); empty for
 * the defaults.
 */
function databaseSettings(config: Config): { prefix: string; masked: boolean } {
  let prefix = config.dataDir === path.resolve("./.data") ? "" : `DATA_DIR=${quoted(config.dataDir)} `;
  if (!config.database.url) return { prefix, masked: false };
  const { text, masked } = withoutPassword(config.database.url);
  prefix = `DATABASE_URL=${quoted(text)} ${prefix}`;
  return { prefix, masked };
}

export const seedCommand = (config: Config) => `${databaseSettings(config).prefix}npm run db:seed`;
export const tokenCommand = (config: Config, email: string) =>
  `${databaseSettings(config).prefix}npm run -s token -- --email ${email}`;

/** Lines telling how to seed the database and get a token. */
export function noUsersHint(config: Config, demoEmail: string): string[] {
  const lines = [
    "The database has no users yet. Seed the demo data (customers acme and globex, users",
    "alice@acme.test, carol@acme.test and bob@globex.test) with:",
    `  ${seedCommand(config)}`,
    "then get a token:",
    `  ${tokenCommand(config, demoEmail)}`,
  ];
  if (databaseSettings(config).masked) lines.push("(your database password in place of ****)");
  return lines;
}
