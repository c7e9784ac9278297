// Structured JSON logs. Tokens and the Authorization header are never logged.
import pino, { type Logger } from "pino";

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: "testapp-api" },
    redact: { paths: ["req.headers.authorization", "token", "*.token"], censor: "[redacted]" },
  });
}
