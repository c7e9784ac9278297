// ROW_LEVEL_SECURITY=on: a GraphQL query's reads share one tenant transaction per request
// (row-level-security.ts) instead of each paying for BEGIN, entering the tenant and COMMIT.
// Only queries: they read, so holding one connection for their execution delays no write
// behind it; mutations and subscriptions keep a transaction per statement.
import type { Plugin } from "@envelop/core";
import { getOperationAST } from "graphql";
import { runInReadSession } from "../db/read-sessions.js";

export function useTenantReadSessions(): Plugin {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      if (getOperationAST(args.document, args.operationName)?.operation !== "query") return;
      setExecuteFn((executionArgs) => runInReadSession(() => executeFn(executionArgs)));
    },
  };
}
