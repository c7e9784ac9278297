// Who is asking: an enabled user and the customer it belongs to. Its own module so that
// authentication and the cache of verified users both depend on it, not on each other.
import type { Customer, User } from "../generated/prisma/client.js";

export type Viewer = { user: User; customer: Customer };
