import type { Role } from "@shardcast/core";
import type { ControlDb, HostPool } from "@shardcast/db";
import type { JobQueue } from "@shardcast/jobs";
import type { Logger } from "@shardcast/runtime";
import type { RedisClient } from "./redis-client.ts";
import type { ClientInfo } from "./request-origin.ts";
import type { SignInLimiter } from "./sign-in-limiter.ts";

export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: Role;
}

export type { RedisClient };

/**
 * Everything a procedure may touch. The app builds it per request (see the console's
 * server/deps.ts); the package holds no connections of its own, so tests and other hosts of
 * the router inject what they like.
 */
export interface ApiContext {
  db: ControlDb;
  hosts: HostPool;
  redis: RedisClient;
  redisPrefix: string;
  /** The job queue the worker consumes (same Redis prefix); console actions enqueue through it. */
  queue: JobQueue;
  /** Public base URL of the edge, shown to producers. */
  edgeUrl: string;
  user: SessionUser | null;
  /** Headers of the response being built (the session cookie is set here). */
  resHeaders: Headers;
  reqHeaders: Headers;
  log: Logger;
  /** Shared across requests and console instances: slows repeated failed sign-ins. */
  signInLimiter: SignInLimiter;
  /** The client's address, scheme and host, after the trust-proxy rule (`resolveClient`). */
  client: ClientInfo;
  /** Origins besides the console's own whose pages may send mutations. */
  allowedOrigins: readonly string[];
  /** Host names the console is reached by, besides loopback names and IP addresses (`checkHost`). */
  allowedHosts: readonly string[];
  /** Mark the session cookie `Secure` (the client reached the console over HTTPS). */
  secureCookies: boolean;
  /** Told about every procedure call when it ends, for the host's metrics (absent: not measured). */
  onProcedure?: (call: ProcedureCall) => void;
}

export interface ProcedureCall {
  path: string;
  type: "query" | "mutation" | "subscription";
  /** `ok`, else the tRPC error code (e.g. `UNAUTHORIZED`, `BAD_REQUEST`, `INTERNAL_SERVER_ERROR`). */
  outcome: string;
  ms: number;
}
