// Structured JSON logs. Tokens, the Authorization header and e-mail addresses are never
// logged (redacted if they ever reach a log call); request logs carry the request id
// (src/plugins/use-request-id.ts).
import pino, { type DestinationStream, type Logger } from "pino";

/** `destination`: where lines go (stdout by default; tests capture them). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "testapp-api" },
      redact: {
        paths: [
          "req.headers.authorization",
          "headers.authorization",
          "authorization",
          "*.authorization",
          "token",
          "*.token",
          "email",
          "*.email",
        ],
        censor: "[redacted]",
      },
    },
    destination,
  );
}
