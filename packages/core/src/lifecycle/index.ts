export * from "./settings.ts";
export * from "./planner.ts";
