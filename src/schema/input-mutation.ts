// Every mutation here has one required `input` argument and answers a payload object (Relay's
// convention), and its resolver only hands the input to a write service. This declares one, so
// a mutation file names its types and the service call and nothing else.
import type { InputObjectRef, ObjectRef, SchemaTypes } from "@pothos/core";
import type { Context } from "../context.js";
import { builder } from "./builder.js";

type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T extends SchemaTypes> ? T : never;

export function inputMutation<Input, Payload>(
  name: string,
  options: {
    input: InputObjectRef<Types, Input>;
    payload: ObjectRef<Types, Payload>;
    description?: string;
    resolve: (input: Input, ctx: Context) => Promise<Payload>;
  },
): void {
  builder.mutationField(name, (t) =>
    t.field({
      type: options.payload,
      ...(options.description ? { description: options.description } : {}),
      args: { input: t.arg({ type: options.input, required: true }) },
      // Pothos cannot resolve its argument and result types over generic Input and Payload; the
      // callers' types are checked against options' instead.
      resolve: (_root, args, ctx) => options.resolve((args as { input: Input }).input, ctx) as never,
    }),
  );
}
