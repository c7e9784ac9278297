// A page on another site can POST a plain HTML form (multipart, url-encoded or text/plain)
// to the API without a CORS preflight. Yoga's useCSRFPrevention refuses such requests
// unless they carry a header only scripts allowed by CORS can set. It is applied to POSTs
// only: GET stays usable by EventSource (SSE) and GraphiQL, and GET cannot run mutations.
import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import type { Plugin } from "graphql-yoga";
import { csrfHeaderMissing } from "../errors.js";

/** Either header will do: Yoga's own, or the one Apollo Client's upload link sends. */
export const CSRF_HEADERS = ["x-graphql-yoga-csrf", "apollo-require-preflight"];

export function useUploadCsrfPrevention(): Plugin {
  const csrf = useCSRFPrevention({ requestHeaders: CSRF_HEADERS });
  return {
    onRequestParse(payload) {
      if (payload.request.method !== "POST") return;
      try {
        csrf.onRequestParse?.(payload as never);
      } catch {
        // The plugin's own error has no extensions.code; the contract wants one.
        throw csrfHeaderMissing(CSRF_HEADERS[0]!);
      }
    },
  };
}
