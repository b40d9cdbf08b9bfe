import path from "node:path";
import { z } from "zod";
import { redisPrefixSchema } from "@shardcast/core";

const port = (def: number) => z.coerce.number().int().min(1).max(65535).default(def);

/** Configuration of the scripts, validated with zod. Every setting is documented in docs/configuration.md. */

/** Settings of the embedded start (`npm start`). */
const schema = z.object({
  SHARDCAST_DATA_DIR: z.string().default(".data"),
  SHARDCAST_WEB_PORT: port(3000),
  SHARDCAST_EDGE_PORT: port(4000),
  SHARDCAST_PG_PORT: port(54329),
  /** Started by root from a folder the `postgres` account cannot enter: where the server's files go. */
  SHARDCAST_PG_RUNTIME_DIR: z.string().default("/var/lib/shardcast"),
  SHARDCAST_BIND: z.string().default("127.0.0.1"),
  DATABASE_URL: z.string().optional(),
  /** Comma-separated storage-host DSNs for a first start against DATABASE_URL. */
  SHARDCAST_HOST_DSNS: z.string().optional(),
  SHARDCAST_DEMO_HOSTS: z.coerce.number().int().min(1).max(16).default(3),
  /** Edges to start; more than one listen on the ports after SHARDCAST_EDGE_PORT, behind a round-robin entry on it. */
  SHARDCAST_EDGES: z.coerce.number().int().min(1).max(8).default(1),
  /** Workers to start (each with its own health port from SHARDCAST_WORKER_HEALTH_PORT on). */
  SHARDCAST_WORKERS: z.coerce.number().int().min(1).max(8).default(1),
  /** The first worker's health port (the worker's own default); the next workers take the ports after it. */
  SHARDCAST_WORKER_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  REDIS_URL: z.string().optional(),
  SHARDCAST_REDIS_PREFIX: redisPrefixSchema,
  SHARDCAST_ADMIN_EMAIL: z.string().email().optional(),
  SHARDCAST_ADMIN_PASSWORD: z.string().min(10, "SHARDCAST_ADMIN_PASSWORD needs at least 10 characters").optional(),
  SHARDCAST_DEMO: z.enum(["on", "off"]).default("on"),
  SHARDCAST_DEMO_RATE: z.coerce.number().positive().default(200),
  SHARDCAST_LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  SHARDCAST_REBUILD: z.enum(["auto", "always", "never"]).default("auto"),
});

export type StartConfig = z.infer<typeof schema> & { root: string; dataDir: string };

function parse<T extends z.ZodTypeAny>(schema: T): z.infer<T> {
  const parsed = schema.safeParse(process.env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`).join("\n");
    throw new Error(`invalid configuration:\n${lines}`);
  }
  return parsed.data;
}

/** The environment handed to the services `npm start` spawns (they validate it themselves). */
export function inheritedEnv(): NodeJS.ProcessEnv {
  return { ...process.env };
}

export function loadStartConfig(root: string): StartConfig {
  const parsed = schema.safeParse(process.env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`).join("\n");
    throw new Error(`invalid configuration:\n${lines}`);
  }
  return { ...parsed.data, root, dataDir: path.resolve(root, parsed.data.SHARDCAST_DATA_DIR) };
}

/** Settings of the demo producer (passed by `npm start`). */
export function loadDemoConfig() {
  return parse(
    z.object({
      SHARDCAST_EDGE_URL: z.string().url().default("http://127.0.0.1:4000"),
      SHARDCAST_DEMO_TOKEN: z.string({ error: "SHARDCAST_DEMO_TOKEN is not set: the demo producer needs an API key" }).min(1),
      SHARDCAST_DEMO_STREAM: z.string().default("demo"),
      SHARDCAST_DEMO_RATE: z.coerce.number().positive().default(200),
    }),
  );
}

/** Settings of the demo consumer group (passed by `npm start`). */
export function loadDemoConsumerConfig() {
  return parse(
    z.object({
      SHARDCAST_EDGE_URL: z.string().url().default("http://127.0.0.1:4000"),
      SHARDCAST_DEMO_TOKEN: z.string({ error: "SHARDCAST_DEMO_TOKEN is not set: the demo consumers need an API key" }).min(1),
      SHARDCAST_DEMO_STREAM: z.string().default("demo"),
      SHARDCAST_DEMO_CONSUMERS: z.coerce.number().int().min(1).max(16).default(3),
      SHARDCAST_DEMO_PROCESS_MS: z.coerce.number().min(0).max(1000).default(2),
    }),
  );
}

/** Settings of `npm run db:migrate`. */
export function loadMigrateConfig() {
  return parse(
    z.object({
      DATABASE_URL: z
        .string({ error: "DATABASE_URL is not set: point it at the control database, e.g. postgres://user:password@127.0.0.1:5432/shardcast" })
        .min(1),
    }),
  );
}

/** Settings of `npm run smoke` (an end-to-end check of a running system). */
export function loadSmokeConfig() {
  return parse(
    z.object({
      SHARDCAST_WEB_URL: z.string().url().default("http://127.0.0.1:3000"),
      SHARDCAST_EDGE_URL: z.string().url().default("http://127.0.0.1:4000"),
      SHARDCAST_ADMIN_EMAIL: z.string({ error: "SHARDCAST_ADMIN_EMAIL is not set: the smoke check signs in as an admin" }).email(),
      SHARDCAST_ADMIN_PASSWORD: z.string({ error: "SHARDCAST_ADMIN_PASSWORD is not set" }).min(1),
      SHARDCAST_SMOKE_TIMEOUT_MS: z.coerce.number().int().positive().default(600_000),
    }),
  );
}
