export * from "./logger.ts";
export * from "./redis.ts";
export * from "./redis-resolve.ts";
export * from "./oplock.ts";
export * from "./sequence.ts";
export * from "./consumer-progress.ts";
export * from "./read-cache-keys.ts";
export * from "./placement-state.ts";
