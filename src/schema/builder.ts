// The one SchemaBuilder: context type, Prisma types, scalars and plugins are declared here.
import SchemaBuilder from "@pothos/core";
import ComplexityPlugin from "@pothos/plugin-complexity";
import PrismaPlugin from "@pothos/plugin-prisma";
import RelayPlugin from "@pothos/plugin-relay";
import { DateTimeResolver, JSONResolver } from "graphql-scalars";
import type { Context } from "../context.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import type PrismaTypes from "../generated/pothos-types.js";
import { getDatamodel } from "../generated/pothos-types.js";
import { queryTooComplex } from "../errors.js";

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  DefaultFieldNullability: false;
  // Relay edges and their nodes are non-null, as in the contract.
  DefaultEdgesNullability: { list: false; items: false };
  DefaultNodeNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
    // A month counted as year * 12 + (month - 1) (src/stats/month-range.ts); YYYY-MM on the wire.
    YearMonth: { Input: number; Output: number };
    ID: { Input: string; Output: string };
  };
}>({
  plugins: [ComplexityPlugin, PrismaPlugin, RelayPlugin],
  // Query cost, computed before any root field resolves, with the request's variables: a
  // connection's page size (first/last, literal or variable) multiplies what it selects.
  // Every other field costs 1 and lists multiply by 1; page sizes are the real multipliers.
  complexity: {
    defaultComplexity: 1,
    defaultListMultiplier: 1,
    limit: (ctx) => ({ complexity: ctx.services.config.limits.maxCost }),
    complexityError: (_kind, result) =>
      queryTooComplex("cost", `The query costs ${result.complexity}, more than ${result.maxComplexity} allowed`),
  },
  // The contract's fields are non-null unless it says otherwise.
  defaultFieldNullability: false,
  prisma: {
    // Only the tenant-scoped client ever reaches Pothos.
    client: (ctx) => ctx.tenantDb as unknown as PrismaClient,
    dmmf: getDatamodel(),
  },
  relay: {
    clientMutationId: "omit",
    cursorType: "String",
    // node/nodes are defined in node.ts: tenant-safe and null for ids the caller cannot see.
    nodeQueryOptions: false,
    nodesQueryOptions: false,
  },
});

builder.addScalarType("DateTime", DateTimeResolver);
builder.addScalarType("JSON", JSONResolver);

builder.queryType();
builder.mutationType();
