export * from "./settings.ts";
export * from "./surge.ts";
export * from "./model.ts";
export * from "./rate-model.ts";
export * from "./cost.ts";
export * from "./stream.ts";
export * from "./replay.ts";
export * from "./published.ts";
