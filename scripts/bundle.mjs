#!/usr/bin/env node
// Bundles a service entry point into one ES module that runs on plain `node`, so production needs
// neither tsx nor TypeScript. Usage (from a workspace folder):
//   node ../../scripts/bundle.mjs <entry.ts> <out.mjs> [<entry.ts> <out.mjs> ...]
//
// The workspace packages (@shardcast/*) ship as TypeScript source and are bundled in, together
// with the generated Prisma client under packages/db/src/generated. Every other package stays an
// import from node_modules: they are real npm dependencies installed by `npm ci --omit=dev`, some
// load native or WebAssembly files relative to themselves (@tensorflow/*, @prisma/client), and
// keeping them external keeps the bundles small and the licences in place.
import { build } from "esbuild";
import { isAbsolute } from "node:path";

const args = process.argv.slice(2);
if (args.length === 0 || args.length % 2 !== 0) {
  console.error("usage: node scripts/bundle.mjs <entry.ts> <out.mjs> [<entry.ts> <out.mjs> ...]");
  process.exit(2);
}

/** @type {import("esbuild").Plugin} */
const externalNpmPackages = {
  name: "external-npm-packages",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (res) => {
      if (isAbsolute(res.path) || res.path.startsWith("@shardcast/")) return undefined;
      return { path: res.path, external: true };
    });
  },
};

const started = Date.now();
for (let i = 0; i < args.length; i += 2) {
  const [entry, outfile] = [args[i], args[i + 1]];
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20.9",
    sourcemap: "linked",
    legalComments: "none",
    logLevel: "warning",
    plugins: [externalNpmPackages],
    // Bundled CommonJS helpers may call require(); an ES module has none of its own.
    banner: { js: 'import { createRequire as __scCreateRequire } from "node:module"; const require = __scCreateRequire(import.meta.url);' },
  });
}
console.log(`bundled ${args.length / 2} entry point(s) in ${Date.now() - started} ms`);
