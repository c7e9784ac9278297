// The seed entry points: `seedDemoData` (what `npm start` and `npm run db:seed` put into an
// empty database) and `seedBulkData` (benchmark volumes). The pieces live in ./seed/.
export { buildDemoData, categoryCodes, demoCustomers, demoUsers, DEMO_RECORDS_PER_CUSTOMER } from "./seed/demo-data.js";
export type { DemoData } from "./seed/demo-data.js";
export { seedDemoData, type DemoSeedResult } from "./seed/seed-demo.js";
export { ensureLargeCustomer, type LargeCustomer } from "./seed/large-customer.js";
export {
  bulkCustomerSlugs,
  insertBulkRecordsFor,
  seedBulkData,
  seedBulkRecords,
  type BulkRecordsResult,
  type BulkSeedOptions,
  type BulkSeedResult,
} from "./seed/seed-bulk.js";
