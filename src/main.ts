// `npm start`: migrate, seed an empty embedded database, serve the API.
import { loadConfig } from "./config.js";
import { runEntryPoint, shutDownOnSignal } from "./process-lifecycle.js";
import { openDatabase } from "./db/database.js";
import { migrate } from "./db/migrate.js";
import { seedDemoData } from "../prisma/seed.js";
import { createServices } from "./server.js";
import { serveApi } from "./api-process.js";
import { devTokenForDemoUser } from "./auth/dev-token.js";

async function main() {
  const config = loadConfig();
  const database = await openDatabase(config);
  if (database.kind === "embedded-client") {
    await database.close();
    throw new Error(`another process is already serving the embedded database in ${config.dataDir}`);
  }
  const applied = await migrate(database);
  const services = createServices(config, database);
  const { logger } = services;
  if (applied.length > 0) logger.info({ migrations: applied }, "applied migrations");
  if (!config.database.url && (await seedDemoData(database, services.storage)).seeded) logger.info("seeded the demo data");

  const api = await serveApi(services);

  const url = `http://localhost:${config.port}/graphql`;
  logger.info({ url, database: database.kind }, "serving");
  if (!config.isProduction) {
    const token = await devTokenForDemoUser(services.tokens, database.prisma);
    console.log(`\nGraphiQL: ${url}`);
    if (token) console.log(`Dev token (alice@acme.test, ADMIN, 12h):\n  Authorization: Bearer ${token}\n`);
  }

  shutDownOnSignal(logger, () => api.stop());
}

runEntryPoint(main);
