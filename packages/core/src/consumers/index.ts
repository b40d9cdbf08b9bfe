export * from "./cursor.ts";
export * from "./assignor.ts";
export * from "./settings.ts";
export * from "./checkpoint-policy.ts";
export * from "./checkpoint-sim.ts";
export * from "./names.ts";
export * from "./telemetry.ts";
export * from "./member-weights.ts";
