import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { retryAfterHeader } from "@shardcast/core";
import { appRouter } from "@shardcast/api";
import { createContext } from "../../../../server/deps.ts";

export const dynamic = "force-dynamic";

function handler(req: Request): Promise<Response> {
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: ({ req, resHeaders }) => createContext(req, resHeaders),
    // A sign-in held back by the limiter says when to try again.
    responseMeta: ({ errors }) => ({ headers: retryAfterHeader(errors) }),
  });
}

export { handler as GET, handler as POST };
