export * from "./hll.ts";
export * from "./moments.ts";
export * from "./quantiles.ts";
export * from "./fields.ts";
export * from "./settings.ts";
export * from "./shardlet-profile.ts";
export * from "./health.ts";
export * from "./orchestrator.ts";
