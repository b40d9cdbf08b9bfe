import { randomUUID } from "node:crypto";
import superjson from "superjson";
import { createTestControlDb, createTestHostDb } from "@shardcast/db/testing";
import { createQueue, type JobQueue } from "@shardcast/jobs";
import { createLogger, createRedis } from "@shardcast/runtime";
import type { Role } from "@shardcast/core";
import { createControlDb, createUser, HostPool, registerHost, type ControlDb } from "@shardcast/db";
import { testPgAdminUrl, testRedisUrl } from "@shardcast/runtime/testing/env";
import { handleApiRequest } from "../src/handler.ts";
import {
  appRouter,
  createCallerFactory,
  createHashGate,
  createSignInLimiter,
  DEFAULT_SIGN_IN_POLICY,
  parseAllowedHosts,
  parseTrustProxy,
  PEER_HEADER,
  readCookie,
  requestFacts,
  resolveClient,
  SESSION_COOKIE,
  sessionUserFor,
  type ApiContext,
  type HashGate,
  type HashGateOptions,
  type RedisClient,
  type SignInLimiter,
  type SessionUser,
  type SignInPolicy,
} from "../src/index.ts";

export const REDIS_URL = testRedisUrl();

/** The console's own origin in these tests: mutations carry it as `Origin` unless told otherwise. */
export const CONSOLE_ORIGIN = "http://console.test";

const createCaller = createCallerFactory(appRouter);
export type ApiCaller = ReturnType<typeof createCaller>;

export interface CallOptions {
  /** Extra request headers; null removes one the harness would send (`origin`, the peer stamp). */
  headers?: Record<string, string | null>;
  /** Another Redis prefix than the harness's, so a test's Redis data is its own. */
  redisPrefix?: string;
  /** Another job queue than the harness's (one whose Redis is gone, say). */
  queue?: JobQueue;
}

export interface CallResult<T = unknown> {
  status: number;
  data: T | undefined;
  error: { message: string; code: number; data: { code: string; httpStatus: number; scCode: string | null; details: { rejected?: Array<{ path: string; message: string }> } | null } } | undefined;
  setCookie: string | null;
  retryAfter: string | null;
}

export interface Harness {
  db: ControlDb;
  hosts: HostPool;
  redis: RedisClient;
  prefix: string;
  /** The queue procedures enqueue to (nothing consumes it in these tests). */
  queue: JobQueue;
  hostIds: string[];
  logLines: string[];
  /** Calls a procedure over the fetch adapter, as the browser does. `cookie` is the session token. */
  call<T = unknown>(kind: "query" | "mutation", path: string, input?: unknown, token?: string | null, opts?: CallOptions): Promise<CallResult<T>>;
  /** Sends a request of the test's own making (a batch, say) to the console API, as the console does. */
  send(req: Request, token?: string | null): Promise<Response>;
  /**
   * Procedures called as `user` with a context built now, as a request in flight already has it:
   * what happens to the user afterwards (a disable, say) is seen only where the procedure looks.
   */
  callerFor(user: SessionUser): ApiCaller;
  /** The hash gate of the harness's sign-in limiter (its turns can be taken to make it busy). */
  hashGate: HashGate;
  /** Creates a user and returns a session token for it. */
  sessionFor(role: Role): Promise<string>;
  /** A Redis prefix of one test's own (so no test sees another's data), its keys deleted at `close`. */
  freshPrefix(label: string): string;
  close(): Promise<void>;
}

export function tokenFrom(setCookie: string | null): string | null {
  if (!setCookie) return null;
  return readCookie(new Headers({ cookie: setCookie.split(";")[0]! }), SESSION_COOKIE);
}

export async function startHarness(
  opts: {
    hosts?: number;
    db?: ControlDb;
    trustProxy?: string;
    allowedHosts?: string;
    signInPolicy?: Partial<SignInPolicy>;
    hashGate?: HashGateOptions;
  } = {},
): Promise<Harness> {
  const control = await createTestControlDb();
  const hostDbs = await Promise.all(Array.from({ length: opts.hosts ?? 2 }, () => createTestHostDb()));
  const db = control.db;
  const hostIds: string[] = [];
  for (const [i, h] of hostDbs.entries()) hostIds.push((await registerHost(db, { name: `h${i + 1}`, dsn: h.dsn })).id);
  const hosts = new HostPool(db, { poolSize: 2 });
  const redis = createRedis(REDIS_URL);
  const prefix = `api-test-${randomUUID().slice(0, 8)}`;
  const bullConnection = createRedis(REDIS_URL, { forBullmq: true });
  const queue = createQueue(bullConnection, { prefix });
  const logLines: string[] = [];
  const testPrefixes: string[] = [];
  const log = createLogger({ app: "api-test" }, { level: "debug", write: (line) => logLines.push(line) });
  // Sign-ins of a test wait their turn however slowly a loaded machine hashes: a refusal after the
  // default 3 s would measure the machine, not the code. The gate's own bounds are tested on gates
  // the tests make, and by filling this one's turns (refused at once, whatever the wait).
  const hashGate = createHashGate({ waitMs: 120_000, ...opts.hashGate });
  const signInLimiter: SignInLimiter = createSignInLimiter(redis, prefix, { ...DEFAULT_SIGN_IN_POLICY, ...opts.signInPolicy }, hashGate);
  const trust = parseTrustProxy(opts.trustProxy);
  // The console's own name here, as a deployment reached by a name lists it.
  const allowedHosts = parseAllowedHosts(opts.allowedHosts ?? new URL(CONSOLE_ORIGIN).hostname);
  const ctxDb = opts.db ?? db;

  const contextFor = (reqHeaders: Headers, resHeaders: Headers, user: SessionUser | null, callOpts?: CallOptions): ApiContext => {
    const client = resolveClient(requestFacts(reqHeaders), trust);
    return {
      db: ctxDb,
      hosts,
      redis,
      redisPrefix: callOpts?.redisPrefix ?? prefix,
      queue: callOpts?.queue ?? queue,
      edgeUrl: "http://edge.test:4000",
      user,
      resHeaders,
      reqHeaders,
      log,
      signInLimiter,
      client,
      allowedOrigins: [],
      allowedHosts,
      secureCookies: client.https,
    };
  };

  const send = (req: Request, token?: string | null, callOpts?: CallOptions): Promise<Response> =>
    handleApiRequest(req, async (req, resHeaders): Promise<ApiContext> =>
      contextFor(req.headers, resHeaders, await sessionUserFor(ctxDb, token, log), callOpts),
    );

  const call: Harness["call"] = async (kind, path, input, token, callOpts) => {
    // What the console's server stamps on a request from a browser on this machine.
    const headers = new Headers({ "content-type": "application/json", host: new URL(CONSOLE_ORIGIN).host, [PEER_HEADER]: "127.0.0.1" });
    if (kind === "mutation") headers.set("origin", CONSOLE_ORIGIN);
    if (token) headers.set("cookie", `${SESSION_COOKIE}=${encodeURIComponent(token)}`);
    for (const [name, value] of Object.entries(callOpts?.headers ?? {})) {
      if (value === null) headers.delete(name);
      else headers.set(name, value);
    }
    const serialized = input === undefined ? undefined : JSON.stringify(superjson.serialize(input));
    const url = new URL(`${CONSOLE_ORIGIN}/api/trpc/${path}`);
    if (kind === "query" && serialized) url.searchParams.set("input", serialized);
    const req = new Request(url, { method: kind === "query" ? "GET" : "POST", headers, ...(kind === "mutation" ? { body: serialized ?? "{}" } : {}) });
    const res = await send(req, token, callOpts);
    const body = (await res.json()) as { result?: { data: unknown }; error?: unknown };
    return {
      status: res.status,
      data: body.result ? superjson.deserialize<never>(body.result.data as Parameters<typeof superjson.deserialize>[0]) : undefined,
      error: body.error ? superjson.deserialize<CallResult["error"]>(body.error as Parameters<typeof superjson.deserialize>[0]) : undefined,
      setCookie: res.headers.get("set-cookie"),
      retryAfter: res.headers.get("retry-after"),
    };
  };

  return {
    db,
    hosts,
    redis,
    prefix,
    queue,
    hostIds,
    logLines,
    call,
    send: (req, token) => send(req, token),
    callerFor(user) {
      // A mutation from the console's own page, as the browser sends it.
      const reqHeaders = new Headers({ host: new URL(CONSOLE_ORIGIN).host, origin: CONSOLE_ORIGIN, [PEER_HEADER]: "127.0.0.1" });
      return createCaller(contextFor(reqHeaders, new Headers(), user));
    },
    hashGate,
    async sessionFor(role) {
      const email = `${role}-${randomUUID().slice(0, 8)}@example.com`;
      await createUser(db, { email, name: role, password: "password-123", role });
      const res = await call("mutation", "auth.signIn", { email, password: "password-123" });
      const token = tokenFrom(res.setCookie);
      if (!token) throw new Error(`sign-in failed: ${JSON.stringify(res.error)}`);
      return token;
    },
    freshPrefix(label) {
      const p = `api-${label}-${randomUUID().slice(0, 8)}`;
      testPrefixes.push(p);
      return p;
    },
    async close() {
      for (const p of testPrefixes) {
        const keys = await redis.keys(`${p}:*`);
        if (keys.length > 0) await redis.del(...keys);
      }
      await hosts.closeAll();
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      bullConnection.disconnect();
      redis.disconnect();
      await control.drop();
      await Promise.all(hostDbs.map((h) => h.drop()));
    },
  };
}

/** The jobs procedures queued that nothing ran yet (nothing consumes the queue in these tests). */
export function waitingJobs(h: Harness) {
  return h.queue.getJobs(["waiting", "delayed", "prioritized"]);
}

/** The email of the user a session token signs in. */
export async function emailOf(h: Harness, token: string): Promise<string> {
  return (await h.call<{ user: { email: string } }>("query", "auth.me", undefined, token)).data!.user.email;
}

/** Resolves with the first message on `channel` (subscribed before `action` runs). */
export async function nextMessage(channel: string, action: () => Promise<unknown>): Promise<unknown> {
  const sub = createRedis(REDIS_URL);
  try {
    await sub.subscribe(channel);
    const got = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no message on ${channel}`)), 5_000);
      sub.on("message", (_ch: string, message: string) => {
        clearTimeout(timer);
        resolve(JSON.parse(message));
      });
    });
    await action();
    return await got;
  } finally {
    sub.disconnect();
  }
}

/** A control db handle that cannot connect: every query fails with a driver error. */
export function unreachableDb(): ControlDb {
  return createControlDb("postgres://postgres:hunter2-secret@127.0.0.1:1/nowhere");
}

/** A control database on the test server that does not exist: every query fails, and not as an outage. */
export function missingDb(): ControlDb {
  const url = new URL(testPgAdminUrl());
  url.password = "hunter2-secret";
  url.pathname = `/sc_no_such_database_${randomUUID().slice(0, 8)}`;
  return createControlDb(url.toString());
}
