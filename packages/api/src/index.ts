export { appRouter, type AppRouter } from "./routers/index.ts";
export { createCallerFactory } from "./trpc.ts";
export type { ApiContext, SessionUser, RedisClient } from "./context.ts";
export { createSignInLimiter, DEFAULT_SIGN_IN_POLICY, type SignInLimiter, type SignInPolicy } from "./sign-in-limiter.ts";
export { createHashGate, DEFAULT_HASH_GATE, type HashGate, type HashGateOptions } from "./hash-gate.ts";
export {
  checkHost,
  checkSameOrigin,
  parseAllowedHosts,
  parseAllowedOrigins,
  parseTrustProxy,
  requestFacts,
  resolveClient,
  PEER_HEADER,
  PEER_TLS_HEADER,
  type ClientInfo,
  type TrustProxy,
} from "./request-origin.ts";
export { SESSION_COOKIE, readCookie, readSessionToken, sessionCookie, clearSessionCookie } from "./session-cookie.ts";
export { GENERIC_INTERNAL_MESSAGE, type ShardcastErrorData } from "./errors.ts";
export type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
export { dependencyOutage, outageAnswer, sessionUserFor } from "./outage.ts";
