import {
  createHashGate,
  createSignInLimiter,
  DEFAULT_SIGN_IN_POLICY,
  readSessionToken,
  requestFacts,
  resolveClient,
  sessionUserFor,
  type ApiContext,
  type RedisClient,
  type SessionUser,
  type SignInLimiter,
} from "@shardcast/api";
import { createControlDb, HostPool, type ControlDb } from "@shardcast/db";
import { createQueue, type JobQueue } from "@shardcast/jobs";
import { createLogger, createRedis, redisTargetFromEnv, type Logger } from "@shardcast/runtime";
import { getEnv } from "../env.ts";
import { observeProcedure } from "./metrics.ts";

interface Deps {
  db: ControlDb;
  hosts: HostPool;
  redis: RedisClient;
  queue: JobQueue;
  log: Logger;
  signInLimiter: SignInLimiter;
}

// Kept on globalThis: Next may evaluate this module once per route bundle (and again on every
// dev reload), and each copy must not open its own pools.
const KEY = Symbol.for("shardcast.web.deps");
type Holder = { [KEY]?: Deps };

export function getDeps(): Deps {
  const holder = globalThis as Holder;
  const existing = holder[KEY];
  if (existing) return existing;
  const env = getEnv();
  const log = createLogger({ service: "web" }, { level: env.SHARDCAST_LOG_LEVEL });
  const db = createControlDb(env.DATABASE_URL);
  const redisTarget = redisTargetFromEnv(env);
  const redis = createRedis(redisTarget, { name: "shardcast-web" });
  redis.on("error", (err) => log.warn("redis error", { error: err }));
  // BullMQ refuses clients with a per-request retry limit, so the job queue gets its own client.
  const bullmq = createRedis(redisTarget, { forBullmq: true, name: "shardcast-web-jobs" });
  bullmq.on("error", (err) => log.warn("redis error", { error: err }));
  const queue = createQueue(bullmq, { prefix: env.SHARDCAST_REDIS_PREFIX });
  queue.on("error", (err) => log.warn("job queue error", { error: err }));
  // Every API call through a name not listed is refused, so an upgraded console reached by a DNS
  // name would seem broken: say why once, where the operator looks first.
  if (env.NODE_ENV === "production" && env.SHARDCAST_ALLOWED_HOSTS.length === 0) {
    log.warn(
      "SHARDCAST_ALLOWED_HOSTS is empty: the console API answers only to localhost, IP addresses and the hosts of SHARDCAST_ALLOWED_ORIGINS. A console reached by a DNS name must list it there, or every API call gets 403.",
    );
  }
  const deps: Deps = { db, hosts: new HostPool(db), redis, queue, log, signInLimiter: createSignInLimiter(redis, env.SHARDCAST_REDIS_PREFIX, DEFAULT_SIGN_IN_POLICY, createHashGate({ running: env.SHARDCAST_SIGN_IN_CONCURRENCY, waiting: 2 * env.SHARDCAST_SIGN_IN_CONCURRENCY })) };
  holder[KEY] = deps;
  return deps;
}

/**
 * The signed-in user for a session token, or null (expired, unknown or absent). A control
 * database that does not answer is a 503 with Retry-After (logged once per outage), not a 500.
 */
export async function userForToken(token: string | null | undefined): Promise<SessionUser | null> {
  const deps = getDeps();
  return sessionUserFor(deps.db, token, deps.log);
}

/** Context of one tRPC request. */
export async function createContext(req: Request, resHeaders: Headers): Promise<ApiContext> {
  const env = getEnv();
  const deps = getDeps();
  const user = await userForToken(readSessionToken(req.headers));
  const client = resolveClient(requestFacts(req.headers), env.SHARDCAST_TRUST_PROXY);
  return {
    db: deps.db,
    hosts: deps.hosts,
    redis: deps.redis,
    redisPrefix: env.SHARDCAST_REDIS_PREFIX,
    queue: deps.queue,
    edgeUrl: env.SHARDCAST_EDGE_URL,
    user,
    resHeaders,
    reqHeaders: req.headers,
    log: deps.log,
    signInLimiter: deps.signInLimiter,
    client,
    allowedOrigins: env.SHARDCAST_ALLOWED_ORIGINS,
    allowedHosts: env.SHARDCAST_ALLOWED_HOSTS,
    secureCookies: client.https,
    onProcedure: observeProcedure,
  };
}
