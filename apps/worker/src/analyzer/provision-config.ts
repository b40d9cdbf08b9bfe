import { ShardcastError } from "@shardcast/core";
import type { WorkerEnv } from "../env.ts";
import type { ProvisionConfig } from "./provision.ts";

/** A command line as argv: a JSON array of strings, or words separated by spaces (no quoting, no shell). */
export function parseCommand(text: string): string[] {
  const t = text.trim();
  if (t.startsWith("[")) {
    let raw: unknown;
    try {
      raw = JSON.parse(t);
    } catch {
      throw new ShardcastError("bad_request", "SHARDCAST_PROVISION_COMMAND looks like a JSON array but does not parse");
    }
    if (!Array.isArray(raw) || raw.length === 0 || !raw.every((x) => typeof x === "string" && x.length > 0)) {
      throw new ShardcastError("bad_request", "SHARDCAST_PROVISION_COMMAND must be a non-empty JSON array of strings");
    }
    return raw as string[];
  }
  return t.split(/\s+/).filter(Boolean);
}

export function provisionConfig(
  env: Pick<WorkerEnv, "DATABASE_URL" | "SHARDCAST_PROVISION" | "SHARDCAST_PROVISION_COMMAND" | "SHARDCAST_PROVISION_WEBHOOK" | "SHARDCAST_PROVISION_TIMEOUT_MS">,
): ProvisionConfig {
  const mode = env.SHARDCAST_PROVISION ?? (env.SHARDCAST_PROVISION_COMMAND ? "command" : env.SHARDCAST_PROVISION_WEBHOOK ? "webhook" : "embedded");
  switch (mode) {
    case "command":
      if (!env.SHARDCAST_PROVISION_COMMAND) throw new ShardcastError("bad_request", "SHARDCAST_PROVISION=command needs SHARDCAST_PROVISION_COMMAND");
      return { mode, argv: parseCommand(env.SHARDCAST_PROVISION_COMMAND), timeoutMs: env.SHARDCAST_PROVISION_TIMEOUT_MS };
    case "webhook":
      if (!env.SHARDCAST_PROVISION_WEBHOOK) throw new ShardcastError("bad_request", "SHARDCAST_PROVISION=webhook needs SHARDCAST_PROVISION_WEBHOOK");
      return { mode, url: env.SHARDCAST_PROVISION_WEBHOOK, timeoutMs: env.SHARDCAST_PROVISION_TIMEOUT_MS };
    case "embedded":
      return { mode, controlUrl: env.DATABASE_URL };
    case "off":
      return { mode };
  }
}
