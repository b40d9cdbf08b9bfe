import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@shardcast/api";

export type HealthData = inferRouterOutputs<AppRouter>["profiler"]["health"];
export type ShardletHealthRow = HealthData["shardlets"][number];
export type Profile = NonNullable<HealthData["streamProfile"]>;
export type FieldProfile = Profile["fields"][number];
export type OrchestratorNote = HealthData["notes"][number];
