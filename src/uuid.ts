// Every id in the database is a UUID. Strings that claim to be one are checked before they
// reach SQL, where a malformed one would be a database error instead of a clear answer.
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: unknown): value is string => typeof value === "string" && uuidPattern.test(value);
