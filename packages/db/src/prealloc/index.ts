export * from "./settings.ts";
export * from "./records.ts";
export * from "./contention.ts";
export * from "./training.ts";
export * from "./shadows.ts";
