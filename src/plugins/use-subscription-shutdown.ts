// On shutdown (SIGTERM), open subscriptions end at once with a clean completion (SSE:
// `event: complete`, then the response ends) instead of holding the HTTP drain until its
// limit and being cut off. A subscription started after shutdown began completes at once.
// Repeater.race ends when `stopped` settles without waiting for the source to return: a
// generator waiting in an `await` only runs its `finally` at its next step.
import { type Plugin, Repeater } from "graphql-yoga";

export function useSubscriptionShutdown(stopping: AbortSignal): Plugin {
  const stopped = new Promise<void>((resolve) => {
    if (stopping.aborted) resolve();
    else stopping.addEventListener("abort", () => resolve(), { once: true });
  });
  return {
    onSubscribe: () => ({
      onSubscribeResult({ result, setResult }) {
        if (Symbol.asyncIterator in result) setResult(Repeater.race([result, stopped]));
      },
    }),
  };
}
