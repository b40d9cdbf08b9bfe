import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@shardcast/api";

export type CacheOverview = inferRouterOutputs<AppRouter>["cache"]["overview"];
export type EdgeCache = CacheOverview["edges"][number];
export type CachedShardlet = CacheOverview["shardlets"][number];
export type PrefetchData = inferRouterOutputs<AppRouter>["cache"]["prefetch"];
export type PlacementData = inferRouterOutputs<AppRouter>["cache"]["placement"];
export type ReplicasData = inferRouterOutputs<AppRouter>["cache"]["replicas"];
export type PinsData = inferRouterOutputs<AppRouter>["cache"]["pins"];
