import { z } from "zod";
import { DEFAULT_PASSWORD_HASH_COST, isShardcastError, passwordHashCostSchema, redisPrefixSchema } from "@shardcast/core";
import { parseAllowedHosts, parseAllowedOrigins, parseTrustProxy } from "@shardcast/api/request-origin";
import { metricsTokenSchema } from "@shardcast/runtime/metrics";
import { checkRedisSentinelEnv, redisSentinelEnvShape } from "@shardcast/runtime/redis-env";

/** A comma-separated setting parsed by `parse`, whose errors become the setting's issues. */
function listSetting<T>(parse: (value: string) => T) {
  return z
    .string()
    .default("")
    .transform((value, ctx) => {
      try {
        return parse(value);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: isShardcastError(err) ? err.message : String(err) });
        return z.NEVER;
      }
    });
}

const schema = z.object({
  DATABASE_URL: z.string().min(1, "DATABASE_URL is required (the control database)"),
  REDIS_URL: z.string().min(1).default("redis://127.0.0.1:6379"),
  ...redisSentinelEnvShape,
  SHARDCAST_REDIS_PREFIX: redisPrefixSchema,
  SHARDCAST_EDGE_URL: z.url("SHARDCAST_EDGE_URL must be a URL").default("http://127.0.0.1:4000"),
  SHARDCAST_LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  /** Proxies whose X-Forwarded-For/-Proto/-Host are believed: IPs, CIDR ranges, `loopback`. */
  SHARDCAST_TRUST_PROXY: listSetting(parseTrustProxy),
  /** Origins besides the console's own whose pages may send mutations. */
  SHARDCAST_ALLOWED_ORIGINS: listSetting(parseAllowedOrigins),
  /** Host names the console is reached by, besides `localhost` and IP addresses. */
  SHARDCAST_ALLOWED_HOSTS: listSetting(parseAllowedHosts),
  /**
   * Password checks (scrypt, ~128 MiB and a fraction of a core-second each) one console process
   * runs at once; twice as many more wait up to 3 s, the rest are answered 503. Raise with cores and memory.
   */
  SHARDCAST_SIGN_IN_CONCURRENCY: z.coerce.number().int().min(1, "SHARDCAST_SIGN_IN_CONCURRENCY must be at least 1").max(64, "SHARDCAST_SIGN_IN_CONCURRENCY must be at most 64").default(2),
  /**
   * scrypt cost (log2 N) of the password hashes the console writes. Validated here so a bad value
   * stops the start; the db package reads it where it hashes (its env module).
   */
  SHARDCAST_PASSWORD_HASH_COST: passwordHashCostSchema.default(DEFAULT_PASSWORD_HASH_COST),
  /** When set, `/api/metrics` needs `Authorization: Bearer <token>`. */
  SHARDCAST_METRICS_TOKEN: metricsTokenSchema,
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
}).superRefine(checkRedisSentinelEnv);

export type WebEnv = z.infer<typeof schema>;

let cached: WebEnv | undefined;

/**
 * Read lazily (not at import) so `next build` can load server modules without a database
 * configured; the first request validates and fails with every problem listed.
 */
export function getEnv(): WebEnv {
  if (cached) return cached;
  const parsed = schema.safeParse(process.env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`).join("\n");
    throw new Error(`invalid console configuration:\n${lines}`);
  }
  cached = parsed.data;
  return cached;
}
