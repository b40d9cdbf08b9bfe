import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadEnv } from "../src/env.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** `.env.example`'s `NAME=value` lines: the documented defaults ("" for a variable without one). */
function documented(): Map<string, string> {
  const text = readFileSync(path.join(root, ".env.example"), "utf8");
  return new Map([...text.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1] ?? "", m[2] ?? ""]));
}

/** The edge's settings, read from the environment with every problem named. */
describe("edge env", () => {
  it("defaults every variable to the value .env.example documents", () => {
    const env: Record<string, string | number | undefined> = loadEnv({ DATABASE_URL: "postgres://localhost/none" });
    const docs = documented();
    const wrong = Object.entries(env)
      .filter(([name]) => name !== "DATABASE_URL")
      .filter(([name, value]) => docs.get(name) !== (value === undefined ? "" : String(value)))
      .map(([name, value]) => `${name}: code ${String(value)}, .env.example ${docs.get(name) ?? "(missing)"}`);
    expect(wrong).toEqual([]);
  });

  it("refuses a shutdown grace past 10 minutes, naming the setting", () => {
    expect(() => loadEnv({ DATABASE_URL: "postgres://localhost/none", SHARDCAST_SHUTDOWN_GRACE_MS: "600001" })).toThrow("SHARDCAST_SHUTDOWN_GRACE_MS");
  });
});
