// The one SchemaBuilder: context type, Prisma types, scalars and plugins are declared here.
import SchemaBuilder from "@pothos/core";
import PrismaPlugin from "@pothos/plugin-prisma";
import RelayPlugin from "@pothos/plugin-relay";
import { DateTimeResolver, JSONResolver } from "graphql-scalars";
import type { Context } from "../context.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import type PrismaTypes from "../generated/pothos-types.js";
import { getDatamodel } from "../generated/pothos-types.js";

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
    ID: { Input: string; Output: string };
  };
}>({
  plugins: [PrismaPlugin, RelayPlugin],
  // The contract's fields are non-null unless it says otherwise.
  defaultFieldNullability: false,
  prisma: {
    // Only the tenant-scoped client ever reaches Pothos.
    client: (ctx) => ctx.db as unknown as PrismaClient,
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
