// One GraphQL POST, the same for an in-process app (yoga.fetch) and a server process (fetch).
export type GraphQLResponse<Data = any> = {
  status: number;
  headers: Headers;
  body: {
    data?: Data;
    errors?: Array<{ message: string; extensions?: { code?: string; [key: string]: unknown } }>;
    extensions?: { responseCache?: { hit: boolean; didCache?: boolean }; [key: string]: unknown };
  };
};

export type GraphQLRequestOptions = {
  variables?: Record<string, unknown>;
  token?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
};

export async function postGraphQL<Data = any>(
  send: (url: string, init: RequestInit) => Promise<Response>,
  url: string,
  query: string,
  options: GraphQLRequestOptions = {},
): Promise<GraphQLResponse<Data>> {
  const response = await send(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables: options.variables }),
    signal: options.signal,
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}
