#!/usr/bin/env node
// Completes the console's standalone build (`output: "standalone"`): Next leaves the browser
// assets (.next/static) and public/ out of .next/standalone because a CDN may serve them; here the
// standalone server serves them itself, so they are copied beside it, as the Next docs describe.
import { cpSync, existsSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const web = resolve(dirname(fileURLToPath(import.meta.url)), "..", "apps", "web");
const server = join(web, ".next", "standalone", "apps", "web");
if (!existsSync(join(server, "server.js"))) {
  console.error("apps/web/.next/standalone/apps/web/server.js is missing: run `next build` first (output: standalone)");
  process.exit(1);
}
for (const [from, to] of [
  [join(web, ".next", "static"), join(server, ".next", "static")],
  [join(web, "public"), join(server, "public")],
]) {
  if (!existsSync(from)) continue;
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true });
}
console.log("console standalone server: apps/web/.next/standalone/apps/web/server.js");
