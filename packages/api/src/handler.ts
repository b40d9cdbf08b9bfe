import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { retryAfterHeader } from "@shardcast/core";
import { MAX_BATCH_CALLS } from "./batch-limit.ts";
import type { ApiContext } from "./context.ts";
import { appRouter } from "./routers/index.ts";

/** Answers one request to the console API (`/api/trpc`); the host builds each request's context. */
export function handleApiRequest(req: Request, createContext: (req: Request, resHeaders: Headers) => Promise<ApiContext>): Promise<Response> {
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: ({ req, resHeaders }) => createContext(req, resHeaders),
    maxBatchSize: MAX_BATCH_CALLS,
    // A sign-in held back by the limiter, or by the hash gate, says when to try again.
    responseMeta: ({ errors }) => ({ headers: retryAfterHeader(errors) }),
  });
}
