import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");

/** `.env.example`'s `NAME=value` lines: the documented defaults ("" for a variable without one). */
export function documentedEnv(): Map<string, string> {
  const text = readFileSync(path.join(root, ".env.example"), "utf8");
  return new Map([...text.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1] ?? "", m[2] ?? ""]));
}

/** The variables of an app's loaded env whose default differs from `.env.example`'s (`skip`: set by the test). */
export function undocumentedDefaults(env: Record<string, string | number | boolean | undefined>, skip: readonly string[]): string[] {
  const docs = documentedEnv();
  return Object.entries(env)
    .filter(([name]) => !skip.includes(name))
    .filter(([name, value]) => docs.get(name) !== (value === undefined ? "" : String(value)))
    .map(([name, value]) => `${name}: code ${String(value)}, .env.example ${docs.get(name) ?? "(missing)"}`);
}
