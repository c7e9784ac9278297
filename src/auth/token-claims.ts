// What a verified access token says: whose it is. Its own module so that the token verifier
// and the cache of verified tokens both depend on it, not on each other.
export type TokenClaims = { userId: string; customerId: string };
