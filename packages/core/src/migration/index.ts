export * from "./phases.ts";
export * from "./settings.ts";
export * from "./pace.ts";
