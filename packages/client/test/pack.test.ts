import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "@shardcast/db/testing";
import { get, startHarness, type Harness } from "./harness.ts";

/**
 * The package as someone outside the repository gets it: built, packed with `npm pack`, installed
 * from the tarball into a project of its own and used from plain Node against a real edge.
 */

const run = promisify(execFile);
const packageDir = path.resolve(import.meta.dirname, "..");
const repoRoot = path.resolve(packageDir, "../..");
const tsc = path.join(path.dirname(createRequire(import.meta.url).resolve("typescript/package.json")), "bin/tsc");

/**
 * npm and node children get the environment without what an enclosing `npm run` or Vitest put in
 * it: `npm_config_*` would point the scratch project's npm at this repository's workspace settings,
 * and NODE_OPTIONS could load this repository's TypeScript loader into plain Node.
 */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.toLowerCase().startsWith("npm_") || k === "NODE_OPTIONS") delete env[k];
  return env;
}

async function sh(cmd: string, args: string[], cwd: string, timeoutMs = 90_000): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { cwd, env: cleanEnv(), timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")} failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`, { cause: err });
  }
}

interface Packed {
  tarball: string;
  files: string[];
}

/**
 * Builds and packs a copy of the package. Not the package folder itself: the build replaces dist/,
 * and other workspaces' tests load dist/ while this one runs beside them.
 */
async function buildAndPack(work: string): Promise<Packed> {
  const stage = path.join(work, "stage");
  // Everything but installs and builds, so `files` in package.json is what keeps sources and
  // tests out of the tarball, as it is when the package is published.
  cpSync(packageDir, stage, { recursive: true, filter: (src) => !/[\\/](node_modules|dist)$/.test(src) });
  await sh(process.execPath, [tsc, "-p", "tsconfig.build.json", "--outDir", path.join(stage, "dist")], packageDir);
  const out = await sh("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], stage);
  const [info] = JSON.parse(out) as Array<{ filename: string; files: Array<{ path: string }> }>;
  if (!info) throw new Error(`npm pack reported no package: ${out}`);
  return { tarball: path.join(work, info.filename), files: info.files.map((f) => f.path).sort() };
}

/** A project of its own outside the repository, with the tarball installed from disk. */
async function installInScratchProject(work: string, tarball: string): Promise<string> {
  const project = path.join(work, "project");
  cpSync(path.join(import.meta.dirname, "fixtures", "pack-project"), project, { recursive: true });
  writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "scratch-consumer", private: true, type: "module" }));
  // zod, the one dependency, comes from the npm cache when it is there and the registry otherwise.
  await sh("npm", ["install", "--no-audit", "--no-fund", "--offline=false", "--prefer-offline", tarball], project);
  return project;
}

/** Order-independent: the consumer sees shardlets' events in no particular order across shardlets. */
function checksum(events: Array<{ key: string; type?: string; payload?: unknown }>): string {
  const lines = events.map((e) => JSON.stringify([e.key, e.type ?? null, e.payload ?? null])).sort();
  return createHash("sha256").update(lines.join("\n")).digest("hex");
}

const sent = Array.from({ length: 240 }, (_, i) => ({ key: `customer-${i % 17}`, type: i % 3 === 0 ? "refund" : "order", payload: { i, amount: (i * 37) % 1000 } }));

let h: Harness;
let work: string;
let packed: Packed;
let project: string;
beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), "shardcast-client-pack-"));
  // The edge's databases and the build, pack and install are independent: side by side.
  [h, project] = await Promise.all([
    startHarness({ stream: "orders" }),
    buildAndPack(work).then(async (p) => {
      packed = p;
      return installInScratchProject(work, p.tarball);
    }),
  ]);
}, 180_000);
afterAll(async () => {
  await h?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the published package", () => {
  it("ships the built JavaScript, its declarations, the README, the changelog and nothing else", () => {
    const modules = readdirSync(path.join(packageDir, "src"))
      .filter((f) => f.endsWith(".ts"))
      .map((f) => f.slice(0, -".ts".length));
    const expected = ["CHANGELOG.md", "README.md", "package.json", ...modules.flatMap((m) => [`dist/${m}.d.ts`, `dist/${m}.js`])].sort();
    expect(packed.files).toEqual(expected);
    expect(packed.files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
    expect(path.relative(repoRoot, project).startsWith("..")).toBe(true);
  });

  it("installs outside the repository with its declarations resolving under TypeScript's Node rules", async () => {
    const installed = JSON.parse(readFileSync(path.join(project, "node_modules/@shardcast/client/package.json"), "utf8")) as Record<string, unknown>;
    expect(installed).not.toHaveProperty("private");
    expect(installed.version).toMatch(/^\d+\.\d+\.\d+/);
    // A TypeScript file written against the public API, checked the way a Node ESM project would.
    await sh(process.execPath, [tsc, "-p", "tsconfig.json"], project);
  });

  it("produces to and consumes from a real edge from plain Node", async () => {
    const input = JSON.stringify({ url: h.url, apiKey: h.token, stream: h.stream, group: "pack-check", events: sent });
    const out = await sh(process.execPath, ["roundtrip.mjs", input], project, 60_000);
    const result = JSON.parse(out.trim().split("\n").pop() ?? "") as { produced: number; consumed: number; checksum: string; errors: string[] };
    expect(result.errors).toEqual([]);
    expect(result.produced).toBe(sent.length);
    expect(result.consumed).toBe(sent.length);
    expect(result.checksum).toBe(checksum(sent));
    // The events are the edge's, not an echo of the script's own input.
    const found = await waitFor("the stream's events readable", async () => {
      const page = await get(h, `/v1/streams/${h.stream}/events?after=0&limit=1000`);
      const events = page.body.events as Array<{ key: string; type?: string; payload?: unknown }>;
      return events.length >= sent.length && events;
    });
    expect(checksum(found)).toBe(checksum(sent));
  });
});
