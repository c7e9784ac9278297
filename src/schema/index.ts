// Imports every type module (each registers itself with the builder) and builds the schema.
import { builder } from "./builder.js";
import "./customer.js";
import "./user.js";
import "./viewer.js";
import "./attachment.js";
import "./record.js";
import "./record-mutations.js";
import "./record-stats.js";
import "./attachment-mutations.js";
import "./job.js";
import "./job-mutations.js";
import "./job-subscription.js";
import "./sync-schedule.js";
import "./node.js";

export const schema = builder.toSchema();
