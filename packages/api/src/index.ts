export { appRouter, type AppRouter } from "./routers/index.ts";
export { createCallerFactory } from "./trpc.ts";
export type { ApiContext, SessionUser, RedisClient } from "./context.ts";
export { createSignInLimiter, type SignInLimiter } from "./sign-in-limiter.ts";
export { SESSION_COOKIE, readCookie, readSessionToken, sessionCookie, clearSessionCookie } from "./session-cookie.ts";
export { GENERIC_INTERNAL_MESSAGE, type ShardcastErrorData } from "./errors.ts";
export type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
