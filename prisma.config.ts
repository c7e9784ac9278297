// Prisma 7 reads this file instead of .env. The CLI is only used for `prisma generate`
// here (migrations are plain SQL applied by src/db/migrate.ts), so the URL is optional.
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "" },
});
