import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Set by Next.js itself for its own code paths; not configuration. */
const PLATFORM_SET = new Set(["NEXT_RUNTIME"]);

/** The environment modules: the only files that read process.env (env.ts, *-env.ts). */
function envModules(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      if (entry === "node_modules" || entry === "generated" || entry === "dist" || entry === ".next") continue;
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (entry === "env.ts" || entry.endsWith("-env.ts")) out.push(full);
    }
  };
  for (const dir of ["apps", "packages", "scripts"]) walk(path.join(root, dir));
  return out;
}

/** Keys of the zod objects (`NAME: z...` or `NAME: helper(...)`) and `process.env.NAME` reads. */
function variablesRead(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const names = new Set<string>();
  for (const m of text.matchAll(/^\s+([A-Z][A-Z0-9_]{2,}):/gm)) names.add(m[1] ?? "");
  for (const m of text.matchAll(/process\.env\.([A-Z][A-Z0-9_]+)/g)) names.add(m[1] ?? "");
  for (const m of text.matchAll(/process\.env\[\s*"([A-Z][A-Z0-9_]+)"\s*\]/g)) names.add(m[1] ?? "");
  return [...names].filter((n) => n && !PLATFORM_SET.has(n));
}

function listed(): Set<string> {
  const text = readFileSync(path.join(root, ".env.example"), "utf8");
  return new Set([...text.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1] ?? ""));
}

describe(".env.example", () => {
  const modules = envModules();

  it("finds the environment modules of every app", () => {
    const rel = modules.map((f) => path.relative(root, f).split(path.sep).join("/"));
    expect(rel).toEqual(expect.arrayContaining(["apps/edge/src/env.ts", "apps/worker/src/env.ts", "apps/web/src/env.ts", "scripts/env.ts"]));
  });

  it.each(modules.map((f) => [path.relative(root, f), f]))("lists every variable %s reads", (_rel, file) => {
    const missing = variablesRead(file).filter((name) => !listed().has(name));
    expect(missing, "add these to .env.example with their default and a one-line comment").toEqual([]);
  });

  it("gives each variable a comment", () => {
    const lines = readFileSync(path.join(root, ".env.example"), "utf8").split("\n");
    const orphans = lines.filter((line, i) => {
      if (!/^[A-Z][A-Z0-9_]*=/.test(line)) return false;
      // A comment above, possibly shared by a run of related variables.
      for (let j = i - 1; j >= 0; j--) {
        if (lines[j]?.startsWith("#")) return false;
        if (!/^[A-Z][A-Z0-9_]*=/.test(lines[j] ?? "")) return true;
      }
      return true;
    });
    expect(orphans).toEqual([]);
  });
});
