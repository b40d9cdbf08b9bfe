export * from "./types.ts";
export * from "./metrics.ts";
export * from "./seasonal-naive.ts";
export * from "./holt-winters.ts";
export * from "./evaluate.ts";
export * from "./promotion.ts";
