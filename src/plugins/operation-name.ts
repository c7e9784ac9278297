// The operation name of a request for logs and metrics, without parsing: the one the client
// sent, else the name of the (single) operation in the document. Cache hits never reach the
// parser, and they need a name too.
const namedOperation = /^\s*(?:#[^\n]*\n\s*)*(?:query|mutation|subscription)\s+([A-Za-z_][A-Za-z0-9_]*)/;

export function operationNameOf(params: { operationName?: string | null; query?: string }): string | undefined {
  if (params.operationName) return params.operationName;
  return params.query ? namedOperation.exec(params.query)?.[1] : undefined;
}
