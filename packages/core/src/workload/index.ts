export * from "./rng.ts";
export * from "./zipf.ts";
export * from "./rhythm.ts";
export * from "./bursts.ts";
export * from "./events.ts";
export * from "./generator.ts";
export * from "./trace.ts";
