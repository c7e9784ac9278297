// Who is asking: the authenticated user and their customer, already loaded by
// authentication, so this costs no statement.
import type { Viewer } from "../auth/authenticate.js";
import { requireViewer } from "../auth/permissions.js";
import { builder } from "./builder.js";
import { CustomerRef } from "./customer.js";
import { UserRef } from "./user.js";

const ViewerRef = builder.objectRef<Viewer>("Viewer").implement({
  fields: (t) => ({
    user: t.field({ type: UserRef, resolve: (viewer) => viewer.user }),
    customer: t.field({ type: CustomerRef, resolve: (viewer) => viewer.customer }),
  }),
});

builder.queryField("viewer", (t) =>
  t.field({ type: ViewerRef, resolve: (_root, _args, ctx) => requireViewer(ctx.viewer) }),
);
