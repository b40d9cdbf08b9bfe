import { spawn } from "node:child_process";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";

const SOURCES = ["apps/web/src", "apps/web/next.config.ts", "packages/api/src", "packages/core/src", "packages/db/src", "packages/db/host-migrations", "packages/runtime/src", "packages/jobs/src"];

async function newestMtime(p: string): Promise<number> {
  let st;
  try {
    st = await stat(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of await readdir(p)) {
    if (entry === "generated" || entry === "node_modules") continue;
    newest = Math.max(newest, await newestMtime(path.join(p, entry)));
  }
  return newest;
}

/** The console's standalone server (`output: "standalone"`), relative to the repository root. */
export const WEB_SERVER = "apps/web/.next/standalone/apps/web/server.js";

/** The console runs from its standalone build, so it needs one newer than its sources. */
export async function webBuildNeeded(root: string): Promise<boolean> {
  let built: number;
  try {
    await stat(path.join(root, WEB_SERVER));
    built = (await stat(path.join(root, "apps/web/.next/BUILD_ID"))).mtimeMs;
  } catch {
    return true;
  }
  const newest = Math.max(...(await Promise.all(SOURCES.map((s) => newestMtime(path.join(root, s))))));
  return newest > built;
}

/** The console's `npm run build`: `next build`, then the static assets copied beside the server. */
export async function buildWeb(root: string, env: NodeJS.ProcessEnv, onLine: (line: string) => void): Promise<void> {
  await run(root, [path.join(root, "node_modules/next/dist/bin/next"), "build"], env, onLine);
  await run(root, [path.join(root, "scripts/web-standalone.mjs")], env, onLine);
}

function run(root: string, args: string[], env: NodeJS.ProcessEnv, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: path.join(root, "apps/web"),
      env: { ...env, NEXT_TELEMETRY_DISABLED: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const forward = (buf: Buffer) => buf.toString().split("\n").filter(Boolean).forEach(onLine);
    child.stdout.on("data", forward);
    child.stderr.on("data", forward);
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`console build failed (exit ${code})`))));
  });
}
