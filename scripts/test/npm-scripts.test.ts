import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Scripts that run a service until it is told to stop. */
const SERVICE_SCRIPT = /^(start|dev)(:|$)/;

function scriptsOf(manifest: string): Array<[string, string]> {
  const pkg = JSON.parse(readFileSync(path.join(root, manifest), "utf8")) as { scripts?: Record<string, string> };
  return Object.entries(pkg.scripts ?? {}).filter(([name]) => SERVICE_SCRIPT.test(name));
}

describe("service scripts", () => {
  // npm runs a script through `sh -c` and signals only that shell; dash does not pass SIGTERM on to
  // its child, so a process manager stopping `npm start` killed the shell and left the service
  // running. `exec` makes the service the shell's own process, so the signal reaches it.
  it.each(["package.json", "apps/edge/package.json", "apps/worker/package.json", "apps/web/package.json", "scripts/package.json"])(
    "%s: every start and dev script execs its process",
    (manifest) => {
      const scripts = scriptsOf(manifest);
      expect(scripts.length).toBeGreaterThan(0);
      for (const [name, command] of scripts) expect(`${name}: ${command}`).toMatch(new RegExp(`^${name}: exec `));
    },
  );
});
