export * from "./correlation-engine.ts";
export * from "./prefetch-queue.ts";
export * from "./cache-sim.ts";
export * from "./value-cache.ts";
export * from "./correlated-trace.ts";
export * from "./bandit.ts";
export * from "./settings.ts";
export * from "./prediction-outcomes.ts";
