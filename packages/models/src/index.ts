export * from "./backend.ts";
export * from "./features.ts";
export * from "./lstm.ts";
