import { z } from "zod";
import { redisPrefixSchema } from "@shardcast/core";

const schema = z.object({
  DATABASE_URL: z.string().min(1, "DATABASE_URL is required (the control database)"),
  REDIS_URL: z.string().min(1).default("redis://127.0.0.1:6379"),
  SHARDCAST_REDIS_PREFIX: redisPrefixSchema,
  SHARDCAST_EDGE_URL: z.url("SHARDCAST_EDGE_URL must be a URL").default("http://127.0.0.1:4000"),
  SHARDCAST_LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
});

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
